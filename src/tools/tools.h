/*
 * tools: the client-side subcommands of the `helenus` binary (admin today;
 * the shell, stress and SSTable tools later). Each takes the arguments after
 * its subcommand name and returns the process exit status.
 *
 * Prefix: tool_.
 */
#ifndef HL_TOOLS_H
#define HL_TOOLS_H

#include <stdio.h>

/* `helenus admin [-h HOST] [-p PORT] <command> [args]`: nodetool's role. */
int tool_admin(int argc, char **argv);

/* `helenus cql [host [port]] [options]`: the interactive shell, cqlsh's role. */
int tool_cql(int argc, char **argv);

/* `helenus stress <command> [options]`: the load generator, cassandra-stress's role. */
int tool_stress(int argc, char **argv);

/* `helenus sstable <dump|metadata|verify|index|summary> ...`: the offline
 * SSTable tools (sstabledump, sstablemetadata, sstableverify). */
int tool_sstable(int argc, char **argv);

/* help.c: print the manual page of `helenus <cmd>` ("helenus" for the binary
 * itself: NAME, SYNOPSIS, DESCRIPTION, OPTIONS, EXAMPLES, EXIT STATUS); -1 if
 * there is none. */
int tool_help(const char *cmd, FILE *f);
/* The page of one admin command (or alias); -1 if unknown. */
int tool_admin_help(const char *name, FILE *f);

#endif
