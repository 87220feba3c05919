#!/usr/bin/perl
# rawhttp.pl HOST:PORT: send stdin verbatim on one TCP connection, print what comes back
# (used for requests curl refuses to make, such as duplicate Content-Length).
use strict; use warnings; use IO::Socket::INET;
my $s = IO::Socket::INET->new(PeerAddr => $ARGV[0], Timeout => 10) or die "connect: $!";
local $/; my $req = <STDIN>; print $s $req; shutdown($s, 1);
my $t0 = time; while (defined(my $l = <$s>)) { print $l; last if time - $t0 > 10; }
