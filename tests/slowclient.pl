#!/usr/bin/perl
# slowclient.pl HOST:PORT DELAY PIECE...: send the pieces on one connection, DELAY seconds
# apart, then wait for the server to close (until 30 s after the start at most). A piece is text with \r and \n
# escapes, or "xN" for N bytes of 'x'. Prints
#   statuses=200,... closed_after=S
# (every status line received; seconds from the first byte sent to the end of the stream,
# or "none" if the server never closed).
use strict; use warnings; use IO::Socket::INET; use IO::Select; use Time::HiRes qw(time sleep);
$SIG{PIPE} = 'IGNORE';
my ($hp, $delay, @pieces) = @ARGV;
my $s = IO::Socket::INET->new(PeerAddr => $hp, Timeout => 10) or die "connect: $!";
my $sel = IO::Select->new($s);
my ($in, $closed, $t0) = ('', undef, time);
# read what is there without waiting; note the end of the stream
sub drain {
	my ($wait) = @_;
	while ($sel->can_read($wait)) {
		my $n = sysread($s, my $b, 65536);
		if (!$n) { $closed = time - $t0; return }
		$in .= $b;
		$wait = 0;
	}
}
for my $i (0 .. $#pieces) {
	my $p = $pieces[$i] =~ /^x(\d+)$/ ? 'x' x $1 : $pieces[$i] =~ s/\\r/\r/gr =~ s/\\n/\n/gr;
	syswrite($s, $p) or last;
	if ($i < $#pieces) {
		my $until = time + $delay;
		while (!defined $closed && time < $until) { drain($until - time) }
		last if defined $closed;
	}
}
drain(10) while !defined $closed && time - $t0 < 30;
my @st = $in =~ m{^HTTP/1\.[01] (\d{3})}mg;
printf "statuses=%s closed_after=%s\n", join(',', @st), defined $closed ? sprintf('%.1f', $closed) : 'none';
