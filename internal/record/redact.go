package record

import (
	"net/url"
	"strings"
)

// Redacted is what replaces the value of a query parameter whose name
// looks secret.
const Redacted = "REDACTED"

// secretParams are the substrings of query parameter names, compared
// without regard to case, whose values a recording does not keep.
var secretParams = []string{"key", "token", "secret", "sig", "auth", "password", "passwd", "pwd", "credential", "session"}

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
	return false
}

// RedactURL returns raw without credentials: the user information is
// dropped, and the value of each query parameter whose name contains key,
// token, secret, sig, auth, password, passwd, pwd, credential or session
// (in any case; api_key, access_token, signature too) becomes Redacted. The
// other parameters are kept, in order. A string that does not parse as a
// URL is returned with everything after "?" and up to "@" dropped.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		// Keep what cannot carry a secret: no query, no user information.
		s, _, _ := strings.Cut(raw, "?")
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
	return u.String()
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
