#!/usr/bin/perl
# webhook-receiver.pl DIR [STATUS...]: an HTTP receiver on 127.0.0.1 for the tests. Prints
# its port on stdout, then for each POST writes DIR/N.req (headers) and DIR/N.body (the
# body) and answers the next STATUS of the list (200 when the list is used up). $PORT,
# when set, is the port to listen on (a receiver that comes back where it was).
use strict;
use warnings;
use IO::Socket::INET;

my ($dir, @statuses) = @ARGV;
die "usage: webhook-receiver.pl DIR [STATUS...]\n" unless defined $dir && -d $dir;
my $srv = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => $ENV{PORT} // 0, Listen => 64, ReuseAddr => 1)
	or die "listen: $!\n";
$| = 1;
print $srv->sockport, "\n";
close STDOUT;
my $n = 0;
while (my $c = $srv->accept) {
	local $/ = "\r\n";
	my $head = '';
	while (defined(my $line = <$c>)) {
		$head .= $line;
		last if $line eq "\r\n";
	}
	my ($len) = $head =~ /^content-length:\s*(\d+)/mi;
	my $body = '';
	read($c, $body, $len // 0) if $len;
	$n++;
	my $status = @statuses ? shift @statuses : 200;
	for ([ "req", $head ], [ "body", $body ]) {
		open my $f, '>', "$dir/$n.$_->[0].tmp" or die;
		print $f $_->[1];
		close $f;
		rename "$dir/$n.$_->[0].tmp", "$dir/$n.$_->[0]";
	}
	print $c "HTTP/1.1 $status X\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
	close $c;
}
