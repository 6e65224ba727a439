package record

import (
	"net/http"
	"net/url"
	"strings"
)

// Redacted is what replaces a credential: the value of a query parameter
// whose name looks secret, or of a header that carries one.
const Redacted = "REDACTED"

// secretParams are the substrings of query parameter names, compared
// without regard to case, whose values a recording does not keep;
// secretExact are names that are secret only whole ("code" is OAuth's
// authorization code, but "postcode" is not).
var (
	secretParams = []string{"key", "token", "secret", "sig", "auth", "pass", "pwd", "credential", "session", "jwt", "bearer"}
	secretExact  = []string{"code", "sid", "ticket", "otp"}
)

// secretParam reports whether a query parameter named name may carry a
// credential.
func secretParam(name string) bool {
	if n, err := url.QueryUnescape(name); err == nil {
		name = n
	}
	name = strings.ToLower(name)
	for _, s := range secretParams {
		if strings.Contains(name, s) {
			return true
		}
	}
	for _, s := range secretExact {
		if name == s {
			return true
		}
	}
	return false
}

// RedactURL returns raw without credentials: the user information is
// dropped, and the value of each query parameter, and of each parameter
// of a fragment (#access_token=...), whose name contains key, token,
// secret, sig, auth, pass, pwd, credential, session, jwt or bearer (in any
// case; api_key, access_token, signature, password too) or is code, sid,
// ticket or otp becomes Redacted. The other parameters are kept, in order.
// A string that does not parse as a URL is returned with everything after
// "?" or "#" and up to "@" dropped.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		// Keep what cannot carry a secret: no query, no fragment, no
		// user information.
		s, _, _ := strings.Cut(raw, "?")
		s, _, _ = strings.Cut(s, "#")
		if scheme, rest, ok := strings.Cut(s, "://"); ok {
			if i := strings.LastIndex(rest, "@"); i >= 0 {
				s = scheme + "://" + rest[i+1:]
			}
		}
		return s
	}
	u.User = nil
	if u.RawQuery != "" {
		u.RawQuery = redactQuery(u.RawQuery)
	}
	frag := u.EscapedFragment()
	hasFrag := u.Fragment != "" || strings.HasSuffix(raw, "#")
	u.Fragment, u.RawFragment = "", ""
	s := u.String()
	if hasFrag {
		// An OAuth implicit grant hands its token over in the fragment.
		s += "#" + redactQuery(frag)
	}
	return s
}

// redactQuery replaces the values of secret-looking parameters of a raw
// query, keeping its order and the encoding of the rest.
func redactQuery(q string) string {
	parts := strings.Split(q, "&")
	for i, p := range parts {
		name, _, hasValue := strings.Cut(p, "=")
		if hasValue && secretParam(name) {
			parts[i] = name + "=" + Redacted
		}
	}
	return strings.Join(parts, "&")
}

// secretHeaderWords are the substrings of header names, compared without
// regard to case, whose values carry credentials: Authorization, Cookie,
// X-Api-Key, X-Auth-Token, X-Csrf-Token, Mcp-Session-Id and the like.
var secretHeaderWords = []string{"auth", "cookie", "token", "key", "secret", "session", "password", "passwd", "signature", "credential", "jwt", "csrf", "xsrf"}

// challengeHeaders name a credential's kind, never one: their values are
// what a user debugging a 401 needs to see.
var challengeHeaders = []string{"Www-Authenticate", "Proxy-Authenticate"}

// MaskHeader returns a header's value as it may be shown or kept: URLs
// (Location, Content-Location, Referer) through RedactURL; the values of
// cookies (Cookie, Set-Cookie) masked, their names and attributes kept;
// and the value of any other header whose name looks like it carries a
// credential masked, its scheme ("Bearer", "Basic") kept.
func MaskHeader(name, value string) string {
	name = http.CanonicalHeaderKey(name)
	switch name {
	case "Location", "Content-Location", "Referer":
		return RedactURL(value)
	case "Cookie":
		parts := strings.Split(value, ";")
		for i, p := range parts {
			n, _, _ := strings.Cut(p, "=")
			parts[i] = n + "=" + Redacted
		}
		return strings.Join(parts, ";")
	case "Set-Cookie":
		cookie, attrs, hasAttrs := strings.Cut(value, ";")
		n, _, _ := strings.Cut(cookie, "=")
		s := n + "=" + Redacted
		if hasAttrs {
			s += ";" + attrs
		}
		return s
	}
	for _, c := range challengeHeaders {
		if name == c {
			return value
		}
	}
	lower := strings.ToLower(name)
	for _, w := range secretHeaderWords {
		if strings.Contains(lower, w) {
			if scheme, _, ok := strings.Cut(value, " "); ok && isScheme(scheme) {
				return scheme + " " + Redacted
			}
			return Redacted
		}
	}
	return value
}

// isScheme reports whether s looks like an auth scheme: a short word of
// letters ("Bearer", "Basic", "Digest"), not the start of a token.
func isScheme(s string) bool {
	if s == "" || len(s) > 12 {
		return false
	}
	for _, c := range s {
		if (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') && c != '-' {
			return false
		}
	}
	return true
}
