#!/usr/bin/perl
# crawl.pl URL [PATH...]: follow every link of the wiki at URL (from / and /pages, or the
# PATHs given) and count the broken ones. Pages under /wiki/ and /pages (and a space's,
# /s/NAME/wiki/ and /s/NAME/pages) are read and their links followed; every other link of
# this site (history, source, edit, feeds, static files, images) is only fetched. A link is
# broken when it does not end in 200 (redirects followed), or when it is a wiki link kennis
# marks missing (class="wikilink missing": the page it names does not exist). Prints
# "BROKEN ..." lines and, last, "checked N links (W wiki links) on P pages: B broken".
use strict; use warnings; use HTTP::Tiny;

my $base = shift or die "usage: crawl.pl URL [PATH...]\n";
$base =~ s{/$}{};
my @queue = @ARGV ? @ARGV : ('/', '/pages');
my $http = HTTP::Tiny->new(max_redirect => 5, timeout => 20);
my (%seen, %status, $links, $wiki, $pages, $broken);
$links = $wiki = $pages = $broken = 0;

sub unescape { my $s = shift; $s =~ s/&amp;/&/g; $s =~ s/&quot;/"/g; $s =~ s/&#39;/'/g; $s =~ s/&lt;/</g; $s =~ s/&gt;/>/g; $s }

# The address of link `href` on page `from`, as a browser makes it (no fragment), or undef
# for another site.
sub resolve {
	my ($from, $href) = @_;
	$href =~ s/#.*//s;
	return undef if $href eq '' || $href =~ m{^[a-zA-Z][a-zA-Z0-9+.-]*:} || $href =~ m{^//};
	my ($query) = $href =~ /(\?.*)$/s;
	$href =~ s/\?.*//s;
	(my $dir = $from) =~ s{\?.*}{}s;
	$dir =~ s{[^/]*$}{};
	$dir = '' if $href =~ m{^/}; # a path: its dot segments go as a browser drops them
	my @parts;
	for my $p (split m{/}, $dir . $href, -1) {
		if ($p eq '..') { pop @parts if @parts > 1; }
		elsif ($p ne '.') { push @parts, $p; }
	}
	return join('/', @parts) . ($query // '');
}

sub fetch {
	my $path = shift;
	$status{$path} //= do { my $r = $http->get($base . $path); [$r->{status}, $r] };
	return @{$status{$path}};
}

while (defined(my $page = shift @queue)) {
	next if $seen{$page}++;
	my ($code, $r) = fetch($page);
	next unless $code == 200 && ($r->{headers}{'content-type'} // '') =~ m{text/html};
	$pages++;
	my $html = $r->{content};
	while ($html =~ m{<a\s+class="wikilink missing"\s+href="([^"]*)"}g) {
		$broken++;
		print "BROKEN missing wiki link ", unescape($1), " on $page\n";
	}
	while ($html =~ m{<(a|img|link|script)\b([^>]*)>}g) {
		my ($tag, $attrs) = ($1, $2);
		next unless $attrs =~ m{\b(?:href|src)="([^"]*)"};
		my $to = resolve($page, unescape($1));
		next unless defined $to;
		$links++;
		$wiki++ if $attrs =~ /class="wikilink/;
		my ($c) = fetch($to);
		if ($c != 200) {
			$broken++;
			print "BROKEN $c $to on $page\n";
			next;
		}
		(my $plain = $to) =~ s/\?.*//s;
		push @queue, $to if $plain =~ m{^(?:/s/[a-z0-9-]+)?(?:/wiki/.*|/pages)$}s && $to !~ /\?/;
	}
}
print "checked $links links ($wiki wiki links) on $pages pages: $broken broken\n";
