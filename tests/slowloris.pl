#!/usr/bin/perl
# slowloris.pl HOST:PORT N ADDRS SECONDS LATE: a slowloris flood and a bystander.
# Keeps N connections open (reopening each one the server closes) spread over the loopback
# addresses 127.0.0.1..ADDRS, each sending a request line and then one header line a second,
# never finishing its header block; all the while a bystander on 127.0.0.9 asks
# GET /healthz every 100 ms. After SECONDS it prints
#   probes P failed F max_ms X median_ms Y
#   accepted A refused R cut C late L max_cut_s S
# "refused": closed by the server within 0.5 s of connecting (an address or total limit);
# "cut": closed later; "late": accepted and open for longer than LATE seconds.
# The caller raises the open-file limit to more than N + 100.
use strict; use warnings;
use IO::Socket::INET; use IO::Select;
use Time::HiRes qw(time);
use POSIX qw(EINPROGRESS EWOULDBLOCK EAGAIN);
$SIG{PIPE} = 'IGNORE';

my ($hp, $n, $naddr, $secs, $late_s) = @ARGV;
my ($host, $port) = split /:/, $hp;
my $sel = IO::Select->new;
my (%by_fd, @done);

sub slow_open {
	my ($slot) = @_;
	my $s = IO::Socket::INET->new(PeerAddr => $host, PeerPort => $port, LocalAddr => '127.0.0.' . (1 + $slot % $naddr),
				      Blocking => 0, Proto => 'tcp') or return;
	$by_fd{fileno $s} = { s => $s, slot => $slot, opened => time, sent => 0 };
	$sel->add($s);
}

my $t0 = time;
slow_open($_) for 0 .. $n - 1;
my @reopen;
my ($failed, $probes, @lat) = (0, 0);
my ($next_line, $next_probe) = (time, time);
while (time - $t0 < $secs) {
	my $now = time;
	if ($now >= $next_line) {
		# the server's refusals and cuts are answered with new connections, once a second
		slow_open($_) for @reopen;
		@reopen = ();
		# one more header line on every open connection (the first time: the request line)
		for my $c (values %by_fd) {
			my $line = $c->{sent}++ ? "X-Slow-$c->{sent}: 1\r\n" : "GET /healthz HTTP/1.1\r\nHost: x\r\n";
			syswrite($c->{s}, $line);
		}
		$next_line = $now + 1;
	}
	if ($now >= $next_probe) {
		$probes++;
		my $p0 = time;
		my $ok = 0;
		my $p = IO::Socket::INET->new(PeerAddr => $host, PeerPort => $port, LocalAddr => '127.0.0.9', Timeout => 2);
		if ($p) {
			syswrite($p, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
			my $ps = IO::Select->new($p);
			my $got = '';
			while ($ps->can_read(2)) { my $r = sysread($p, my $b, 4096); last unless $r; $got .= $b; }
			$ok = $got =~ m{^HTTP/1\.1 200 };
			close $p;
		}
		push @lat, (time - $p0) * 1000;
		$failed++ unless $ok;
		$next_probe = $p0 + 0.1;
	}
	for my $s ($sel->can_read(0.02)) {
		my $r = sysread($s, my $b, 4096);
		next if defined $r && $r > 0;
		next if !defined $r && ($! == EAGAIN || $! == EWOULDBLOCK || $! == EINPROGRESS);
		my $c = delete $by_fd{fileno $s};
		$sel->remove($s);
		close $s;
		push @done, time - $c->{opened};
		push @reopen, $c->{slot};
	}
}
my ($acc, $ref, $cut, $late, $maxcut) = (0, 0, 0, 0, 0);
for my $life (@done) {
	if ($life < 0.5) { $ref++; next }
	$acc++;
	$cut++;
	$maxcut = $life if $life > $maxcut;
	$late++ if $life > $late_s;
}
for my $c (values %by_fd) {
	$acc++;
	$late++ if time - $c->{opened} > $late_s;
}
@lat = sort { $a <=> $b } @lat;
printf "probes %d failed %d max_ms %.1f median_ms %.1f\n", $probes, $failed, $lat[-1] // 0, $lat[@lat / 2] // 0;
printf "accepted %d refused %d cut %d late %d max_cut_s %.2f\n", $acc, $ref, $cut, $late, $maxcut;
