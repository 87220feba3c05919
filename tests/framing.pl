#!/usr/bin/perl
# framing.pl HOST:PORT: send stdin verbatim on one connection (a request, usually followed by
# a pipelined second one), then read what comes back the way an HTTP client would: status
# line, headers, Content-Length or chunked body, then the next response. Prints one line:
#   statuses=400,200 closed=1 extra=0
# statuses: every response parsed in order; closed: the server closed the connection within
# 3 s of its last byte (0: it kept waiting for more); extra: bytes left over that do not
# parse as a response (a garbled reply).
use strict; use warnings; use IO::Socket::INET; use IO::Select;
$SIG{PIPE} = "IGNORE";
my $s = IO::Socket::INET->new(PeerAddr => $ARGV[0], Timeout => 10) or die "connect: $!";
binmode STDIN; local $/; my $req = <STDIN>;
binmode $s; $s->autoflush(1);
# write in pieces: a refused request may close the connection before all of it is sent
for (my $off = 0; $off < length $req;) {
	my $w = syswrite($s, $req, 65536, $off);
	last unless $w;
	$off += $w;
}
my $sel = IO::Select->new($s);
my ($in, $closed) = ('', 0);
while ($sel->can_read(3)) {
	my $n = sysread($s, my $b, 65536);
	if (!$n) { $closed = 1; last }
	$in .= $b;
}
my @st;
while ($in =~ s{\AHTTP/1\.[01] (\d{3})[^\r\n]*\r\n((?:[^\r\n]+\r\n)*)\r\n}{}) {
	my ($code, $h) = ($1, $2);
	push @st, $code;
	if ($h =~ /^Content-Length:\s*(\d+)\r$/mi) {
		substr($in, 0, $1 < length $in ? $1 : length $in) = '';
	} elsif ($h =~ /^Transfer-Encoding:\s*chunked\r$/mi) {
		while ($in =~ s/\A([0-9a-fA-F]+)[^\r\n]*\r\n//) {
			my $len = hex $1;
			substr($in, 0, $len + 2 < length $in ? $len + 2 : length $in) = '';
			if ($len == 0) { last }
		}
	}
}
printf "statuses=%s closed=%d extra=%d\n", join(',', @st), $closed, length $in;
