using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Antiforgery;

namespace PrivateSigstore.Identity;

/// <summary>
/// The provider's HTML pages: plain forms that work without JavaScript, with labelled fields, a language, a title, and
/// errors announced to screen readers (role="alert").
/// </summary>
internal static class LoginPage
{
    private const string Style = "body{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem;line-height:1.5;color:#111;background:#fff}" +
        "label{display:block;margin-top:1rem;font-weight:600}input{width:100%;padding:.5rem;font-size:1rem;box-sizing:border-box;border:1px solid #555}" +
        "button{margin-top:1.5rem;padding:.6rem 1.2rem;font-size:1rem}" +
        ".error{border:2px solid #b00020;color:#b00020;padding:.5rem;margin-top:1rem}input:focus,button:focus{outline:3px solid #1a5fb4}";

    public static IResult Form(AntiforgeryTokenSet tokens, string returnUrl, string? username, string? error, int status = StatusCodes.Status200OK)
    {
        var html = new StringBuilder();
        html.Append("<h1>Sign in</h1><p>Sign in to get a short-lived identity token for signing.</p>");
        AppendError(html, error);
        html.Append("<form method=\"post\" action=\"/account/login\">");
        AppendAntiforgery(html, tokens);
        html.Append("<input type=\"hidden\" name=\"returnUrl\" value=\"").Append(Encode(returnUrl)).Append("\">");
        html.Append("<label for=\"username\">Username</label>");
        // After a failed attempt the username is kept and the focus goes to the password.
        var focusPassword = !string.IsNullOrEmpty(username);
        html.Append("<input id=\"username\" name=\"username\" type=\"text\" autocomplete=\"username\" required")
            .Append(error is null ? "" : " aria-describedby=\"error\"").Append(focusPassword ? "" : " autofocus")
            .Append(" value=\"").Append(Encode(username ?? "")).Append("\">");
        html.Append("<label for=\"password\">Password</label>");
        html.Append("<input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required").Append(focusPassword ? " autofocus" : "").Append('>');
        html.Append("<button type=\"submit\">Sign in</button></form>");
        return Page("Sign in", html.ToString(), status);
    }

    /// <summary>The first step: enter the code the terminal shows.</summary>
    public static IResult DeviceForm(AntiforgeryTokenSet tokens, string? userCode, string? error, int status = StatusCodes.Status200OK)
    {
        var html = new StringBuilder();
        html.Append("<h1>Sign in a device</h1>");
        html.Append("<p>Enter the code your terminal shows. The next step names the client that asks to sign in before you approve.</p>");
        AppendError(html, error);
        html.Append("<form method=\"post\" action=\"/connect/verify\">");
        AppendAntiforgery(html, tokens);
        html.Append("<label for=\"user_code\">Code</label>");
        html.Append("<input id=\"user_code\" name=\"user_code\" type=\"text\" autocomplete=\"one-time-code\" required autofocus")
            .Append(error is null ? "" : " aria-describedby=\"error\"")
            .Append(" value=\"").Append(Encode(userCode ?? "")).Append("\">");
        html.Append("<button type=\"submit\" name=\"action\" value=\"continue\">Continue</button></form>");
        return Page("Sign in a device", html.ToString(), status);
    }

    /// <summary>The confirmation step: which client (display name and id) asks to sign in with which code; approve or deny.</summary>
    public static IResult DeviceConfirm(AntiforgeryTokenSet tokens, string userCode, string client)
    {
        var html = new StringBuilder();
        html.Append("<h1>Sign in a device</h1>");
        html.Append("<p id=\"client\">The client <strong>").Append(Encode(client)).Append("</strong> is asking to sign in as you. Approve only if you started this sign-in and the code matches the one your terminal shows.</p>");
        html.Append("<p>Code: <strong id=\"code\">").Append(Encode(userCode)).Append("</strong></p>");
        html.Append("<form method=\"post\" action=\"/connect/verify\">");
        AppendAntiforgery(html, tokens);
        html.Append("<input type=\"hidden\" name=\"user_code\" value=\"").Append(Encode(userCode)).Append("\">");
        html.Append("<button type=\"submit\" name=\"action\" value=\"approve\" autofocus>Approve</button> ");
        html.Append("<button type=\"submit\" name=\"action\" value=\"deny\">Deny</button></form>");
        return Page("Sign in a device", html.ToString(), StatusCodes.Status200OK);
    }

    /// <summary>What each scope lets the client see, in the person's words.</summary>
    private static string ScopeText(string scope) => scope switch
    {
        "openid" => "openid: your username, as the identity your signing certificate names",
        "email" => "email: your email address and whether it is verified",
        "profile" => "profile: your username",
        _ => scope,
    };

    /// <summary>
    /// The consent step of a browser sign-in: which client (display name and id) asks for which scopes, for which person;
    /// Allow or Deny post the authorization request back with the decision and the antiforgery token.
    /// </summary>
    public static IResult Consent(AntiforgeryTokenSet tokens, string client, string username, IReadOnlyList<string> scopes, IReadOnlyList<KeyValuePair<string, string>> parameters, string? error, int status)
    {
        var html = new StringBuilder();
        html.Append("<h1>Allow sign-in?</h1>");
        AppendError(html, error);
        html.Append("<p id=\"client\">The client <strong>").Append(Encode(client)).Append("</strong> asks to sign in as <strong>")
            .Append(Encode(username)).Append("</strong> and to read:</p><ul id=\"scopes\">");
        foreach (var scope in scopes)
        {
            html.Append("<li>").Append(Encode(ScopeText(scope))).Append("</li>");
        }
        html.Append("</ul><p>It gets a short-lived identity token for signing. Allow only if you started this sign-in.</p>");
        html.Append("<form method=\"post\" action=\"/connect/authorize\">");
        AppendAntiforgery(html, tokens);
        foreach (var (name, value) in parameters)
        {
            html.Append("<input type=\"hidden\" name=\"").Append(Encode(name)).Append("\" value=\"").Append(Encode(value)).Append("\">");
        }
        html.Append("<button type=\"submit\" name=\"consent\" value=\"allow\" autofocus>Allow</button> ");
        html.Append("<button type=\"submit\" name=\"consent\" value=\"deny\">Deny</button></form>");
        return Page("Allow sign-in", html.ToString(), status);
    }

    /// <summary>Sign out: a form (POST with the antiforgery token), so that a link or another site cannot sign a person out.</summary>
    public static IResult LogoutForm(AntiforgeryTokenSet tokens, string? username, string? error, int status = StatusCodes.Status200OK)
    {
        var html = new StringBuilder();
        html.Append("<h1>Sign out</h1>");
        AppendError(html, error);
        html.Append("<p>").Append(username is null ? "You are not signed in." : "You are signed in as <strong>" + Encode(username) + "</strong>.").Append("</p>");
        html.Append("<form method=\"post\" action=\"/account/logout\">");
        AppendAntiforgery(html, tokens);
        html.Append("<button type=\"submit\" autofocus>Sign out</button></form>");
        return Page("Sign out", html.ToString(), status);
    }

    public static IResult Message(string title, string text) =>
        Page(title, "<h1>" + Encode(title) + "</h1><p role=\"status\">" + Encode(text) + "</p>", StatusCodes.Status200OK);

    private static void AppendError(StringBuilder html, string? error)
    {
        if (error is not null)
        {
            html.Append("<p class=\"error\" role=\"alert\" id=\"error\">").Append(Encode(error)).Append("</p>");
        }
    }

    private static void AppendAntiforgery(StringBuilder html, AntiforgeryTokenSet tokens) =>
        html.Append("<input type=\"hidden\" name=\"").Append(Encode(tokens.FormFieldName)).Append("\" value=\"").Append(Encode(tokens.RequestToken ?? "")).Append("\">");

    private static string Encode(string value) => HtmlEncoder.Default.Encode(value);

    private static IResult Page(string title, string body, int status) => Results.Content(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">" +
        "<title>" + Encode(title) + " · PrivateSigstore</title><style>" + Style + "</style></head><body><main>" + body + "</main></body></html>",
        "text/html; charset=utf-8", Encoding.UTF8, status);
}
