#!/usr/bin/env perl
# kompose fail-up hook: leave a failure record for a monitoring system's
# text-file collector (node_exporter --collector.textfile.directory).
#
# Install as <root>/hooks/fail-up, executable (chmod 755). Set
# KOMPOSE_TEXTFILE_DIR (default: <root>/.metrics). Each stack's file is
# replaced atomically: write to a temporary name, then rename.
use strict;
use warnings;

my $dir = $ENV{KOMPOSE_TEXTFILE_DIR} || "$ENV{KOMPOSE_ROOT}/.metrics";
my $stack = $ENV{KOMPOSE_STACK};
my $code = $ENV{KOMPOSE_EXIT_CODE};
mkdir $dir unless -d $dir;

my $file = "$dir/kompose_$stack.prom";
open(my $fh, '>', "$file.tmp") or die "write $file.tmp: $!\n";
print $fh "# HELP kompose_last_failure_exit_code Exit code of the last failed kompose command.\n";
print $fh "# TYPE kompose_last_failure_exit_code gauge\n";
print $fh "kompose_last_failure_exit_code{stack=\"$stack\",command=\"$ENV{KOMPOSE_COMMAND}\"} $code\n";
close($fh) or die "write $file.tmp: $!\n";
rename("$file.tmp", $file) or die "rename $file: $!\n";
