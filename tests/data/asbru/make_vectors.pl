#!/usr/bin/perl
# Regenerates the Ásbrú test vectors in this folder with the real Perl modules (Debian 12:
# libcrypt-cbc-perl 3.04, libcrypt-blowfish-perl 2.14, libyaml-perl 1.30). The tests never run it.
#   perl make_vectors.pl
use strict;
use warnings;
use utf8;
use Crypt::CBC;
use Encode;
use JSON::PP;
use YAML;

my $KEY = 'PAC Manager (David Torrejon Vaquerizas, david.tv@gmail.com)';
my %ciphers = (
    # Ásbrú 6.4.0 and later (lib/PACUtils.pm)
    'asbru-6.4' => Crypt::CBC->new(-key => $KEY, -cipher => 'Blowfish', -salt => pack('Q', '12345678'), -pbkdf => 'opensslv1', -nodeprecate => 1),
    # PAC Manager and Ásbrú up to 6.3.3 (-salt => '12345678' under Crypt::CBC 2.x)
    'legacy' => Crypt::CBC->new(-key => $KEY, -cipher => 'Blowfish', -salt => '12345678', -pbkdf => 'opensslv1', -nodeprecate => 1),
    # a random salt (Crypt::CBC -salt => 1)
    'random' => Crypt::CBC->new(-key => $KEY, -cipher => 'Blowfish', -salt => 1, -pbkdf => 'opensslv1', -nodeprecate => 1),
);
my @plain = ('', 'secret', 'päss wörd', "quote ' \" % \$HOME `x`", "two\nlines", '12345678', '😀 emoji', ' lead and trail ', 'x' x 40);
open(my $v, '>:raw', 'crypt_cbc_vectors.tsv') or die;
print $v "# variant\tplaintext (UTF-8, hex)\tencrypt_hex\n";
for my $name (sort keys %ciphers) {
    for my $p (@plain) {
        my $bytes = encode('UTF-8', $p);
        print $v join("\t", $name, unpack('H*', $bytes), $ciphers{$name}->encrypt_hex($bytes)), "\n";
    }
}
close $v;

my $C = $ciphers{'asbru-6.4'};
my $shared = { 'use tab back color' => 0, 'tab back color' => '#000000000000' };
my %odd = map { ("s$_" => (
    'yes', 'no', '~', '012', '0x1F', '1e3', 'null', 'true', 'off', '.inf', '2001-01-01', '---', '...', '-', '=', '- dash', '? q',
    "tab\there", '  lead', 'trail ', "'q'", '"dq"', 'a: b', 'a:b', 'x #y', 'x#y', '#x', '{x}', '[x]', '@x', '%x', '!x', '&x', '*x', '|x', '>x', '`x', ',x',
    'x:', "end\n", "line1\nline2", "a\r\nb", "\x01\x1b\x7f", 'é ü 😀', "a\x{85}b", "\x{feff}bom", "a\\b", '',
    "a multi-line text that is longer than thirty characters\n  indented second line\nthird", "   starts with spaces and is long enough\nsecond",
    "ends with two newlines and is long enough\nyes\n\n", "<GV:gw> <ENV:HOME> <ASK:pw> <CMD:id>"
)[$_]) } 0 .. 53;
my $cfg = {
    '__PAC__EXPORTED__FULL__' => 1,
    'defaults' => {
        'version' => '6.4.0', 'proxy' => 'Jump', 'jump ip' => 'bastion.example', 'jump port' => 2222, 'jump user' => 'hop', 'jump pass' => '', 'jump key' => '',
        'global variables' => { 'gw' => { 'hidden' => '0', 'value' => 'gw.example' }, 'token' => { 'hidden' => '1', 'value' => $C->encrypt_hex(encode('UTF-8', 'gv sécret')) } },
        'keepass' => { 'database' => '', 'password' => $C->encrypt_hex(''), 'use_keepass' => 0 },
    },
    'environments' => {
        '__PAC__ROOT__' => { '_is_group' => 1, 'name' => 'My Connections', 'children' => { 'b2b7a1c4-0000-4000-8000-000000000001' => 1 } },
        'b2b7a1c4-0000-4000-8000-000000000001' => { '_is_group' => 1, 'name' => 'Prod', 'parent' => '__PAC__ROOT__', 'description' => undef, 'screenshots' => [], '_protected' => 0,
            'children' => { 'b2b7a1c4-0000-4000-8000-000000000002' => 1 } },
        'b2b7a1c4-0000-4000-8000-000000000002' => { 'name' => 'web: 01 #1', 'parent' => 'b2b7a1c4-0000-4000-8000-000000000001', 'method' => 'SSH', 'ip' => '10.0.0.5', 'port' => 22,
            'user' => 'root', 'auth type' => 'userpass', 'pass' => $C->encrypt_hex(encode('UTF-8', 'pässwörd')), 'passphrase' => $C->encrypt_hex(''), 'passphrase user' => '', 'public key' => '',
            'options' => ' -x -C -o "ForwardAgent=yes"', 'use proxy' => 0, 'terminal options' => $shared, 'local before' => [], 'expect' => [ { 'expect' => 'assword', 'send' => 'x', 'hidden' => '0' } ],
            'variables' => [ { 'txt' => 'v0', 'hide' => '0' } ], 'odd' => \%odd },
        'b2b7a1c4-0000-4000-8000-000000000003' => { 'name' => 'shared-ref', 'parent' => '__PAC__ROOT__', 'terminal options' => $shared, 'blessed' => bless({ 'x' => 1 }, 'PAC::Thing') },
    },
};
YAML::DumpFile('yamlpm_dump.yml', $cfg);
# The same data as the loader must return it (YAML.pm loads every scalar as a string, blessing dropped).
my $back = YAML::LoadFile('yamlpm_dump.yml');
open(my $j, '>:raw', 'yamlpm_dump.json') or die;
print $j JSON::PP->new->utf8->canonical->pretty->allow_blessed->convert_blessed(0)->encode($back);
close $j;
