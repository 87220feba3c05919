#!/usr/bin/perl
# smtp-sink.pl DIR: an SMTP server on 127.0.0.1 for the tests. Prints its port on stdout,
# then writes every mail it is given to DIR/T-P-N.eml (T the time in microseconds, so that
# `sort -V` orders them) with the envelope as X-Envelope-* lines. A connection may carry many
# mails, and connections are served at once (a child each), as a mail server does.
use strict;
use warnings;
use IO::Socket::INET;
use Time::HiRes ();

my ($dir) = @ARGV;
die "usage: smtp-sink.pl DIR\n" unless defined $dir && -d $dir;
my $srv = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0, Listen => 16, ReuseAddr => 1)
	or die "listen: $!\n";
$| = 1;
print $srv->sockport, "\n";
close STDOUT;
$SIG{CHLD} = 'IGNORE';
my $n = 0;
while (1) {
	my $c = $srv->accept or next;
	my $pid = fork;
	die "fork: $!\n" unless defined $pid;
	if ($pid) { close $c; next; }
	close $srv;
	if (open my $mark, ">", "$dir/connection-$$") { close $mark; } # so tests can count connections
	local $/ = "\r\n";
	my ($from, @to) = ('');
	print $c "220 sink ESMTP\r\n";
	while (defined(my $line = <$c>)) {
		if ($line =~ /^(EHLO|HELO)/i) { print $c "250-sink\r\n250 8BITMIME\r\n"; }
		elsif ($line =~ /^MAIL FROM:\s*(.*?)\r\n/i) { $from = $1; @to = (); print $c "250 ok\r\n"; }
		elsif ($line =~ /^RCPT TO:\s*(.*?)\r\n/i) { push @to, $1; print $c "250 ok\r\n"; }
		elsif ($line =~ /^DATA/i) {
			print $c "354 go\r\n";
			my $data = '';
			while (defined(my $l = <$c>)) {
				last if $l eq ".\r\n";
				$l =~ s/^\.\././;
				$data .= $l;
			}
			$n++;
			my $name = sprintf("%d-%d-%d", Time::HiRes::time() * 1e6, $$, $n);
			open my $f, '>', "$dir/$name.eml.tmp" or die;
			print $f "X-Envelope-From: $from\r\nX-Envelope-To: @to\r\n$data";
			close $f;
			rename "$dir/$name.eml.tmp", "$dir/$name.eml";
			print $c "250 queued as $n\r\n";
		}
		elsif ($line =~ /^QUIT/i) { print $c "221 bye\r\n"; last; }
		else { print $c "250 ok\r\n"; }
	}
	close $c;
	exit 0;
}
