using PrivateSigstore.Client.Verification;

namespace PrivateSigstore.Client.Tests;

/// <summary>
/// Issue 20 finding 3: <c>--certificate-identity-regexp</c> follows Go's RE2 (cosign's <c>regexp.MatchString</c>):
/// '$' is the end of the text, \d \w \s are ASCII, (?P&lt;name&gt;) groups work, backtracking-only syntax is refused,
/// and matching is linear time (RegexOptions.NonBacktracking).
/// </summary>
public sealed class IdentityRegexpTests
{
    private static bool Matches(string pattern, string san) =>
        ((IdentityPolicy.CertificateIdentity)IdentityPolicy.CertificateRegex(pattern, "https://issuer.example")).Matches(san);

    [Theory]
    [InlineData("^alice@example\\.com$", "alice@example.com\n")]
    [InlineData("@example\\.com$", "alice@example.com\n")]
    [InlineData("^https://github\\.com/org/repo/\\.github/workflows/release\\.yml@refs/heads/main$", "https://github.com/org/repo/.github/workflows/release.yml@refs/heads/main\n")]
    public void Dollar_is_the_end_of_the_text(string pattern, string san) => Assert.False(Matches(pattern, san));

    [Theory]
    [InlineData("^alice@example\\.com$", "alice@example.com", true)]
    [InlineData("example", "alice@example.com", true)] // unanchored, as Go's MatchString
    [InlineData("^build-\\d+$", "build-42", true)]
    [InlineData("^build-\\d+$", "build-\u0664\u0662", false)] // Arabic-Indic digits: \d is ASCII in RE2
    [InlineData("^\\w+@example\\.com$", "\u00e9l\u00e8ve@example.com", false)] // \w is ASCII in RE2
    [InlineData("^a\\sb$", "a\u00a0b", false)] // \s is ASCII in RE2
    [InlineData("^(?P<user>[a-z]+)@example\\.com$", "alice@example.com", true)] // Go's named-group syntax
    [InlineData("^[$]x$", "$x", true)] // '$' in a class is literal
    [InlineData("^a\\$$", "a$", true)]
    [InlineData("(?m)^alice$", "x\nalice\ny", true)] // multi-line mode keeps line anchors, as in Go
    [InlineData("(?i)^ALICE@example\\.COM$", "alice@example.com", true)]
    public void Go_semantics(string pattern, string san, bool expected) => Assert.Equal(expected, Matches(pattern, san));

    [Theory]
    [InlineData("^(a)\\1$")] // backreference
    [InlineData("^(?=a)a$")] // lookahead
    [InlineData("^(?<!a)b$")] // lookbehind
    [InlineData("^(?>a+)b$")] // atomic group
    [InlineData("^a\\Z")] // \Z is not RE2
    [InlineData("^(unclosed")]
    public void Syntax_re2_does_not_have_is_refused(string pattern)
    {
        var e = Assert.Throws<ArgumentException>(() => IdentityPolicy.CertificateRegex(pattern, "https://issuer.example"));
        Assert.Contains("regular expression", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_catastrophic_pattern_runs_without_backtracking()
    {
        // With the backtracking engine this input takes longer than the old 1 s timeout and threw RegexMatchTimeoutException.
        Assert.False(Matches("^(a+)+$", new string('a', 40) + "!"));
        Assert.False(Matches("^(a|a)*$", new string('a', 40) + "!"));
    }
}
