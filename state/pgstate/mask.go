package pgstate

import (
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// masked is what a secret is replaced with in messages.
const masked = "xxxxx"

// keywordPassword finds password=VALUE in a keyword/value connection
// string: the value quoted (with \' and \\ escapes) or bare.
var keywordPassword = regexp.MustCompile(`(?i)\bpassword\s*=\s*('(?:[^'\\]|\\.)*'|[^\s]+)`)

// connSecrets returns what in a connection string must never be printed:
// its password, as written and decoded, and any password= parameter. It
// reads the string loosely, so that a string the driver refuses is masked
// too.
func connSecrets(conn string) []string {
	var out []string
	add := func(s string) {
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	if i := strings.Index(conn, "://"); i >= 0 {
		rest := conn[i+3:]
		if at := strings.LastIndex(strings.SplitN(rest, "/", 2)[0], "@"); at >= 0 {
			userinfo := rest[:at]
			if _, pw, ok := strings.Cut(userinfo, ":"); ok {
				add(pw)
				if d, err := url.PathUnescape(pw); err == nil {
					add(d)
				}
			}
		}
		if u, err := url.Parse(conn); err == nil {
			if pw, ok := u.User.Password(); ok {
				add(pw)
			}
			add(u.Query().Get("password"))
		}
	}
	for _, m := range keywordPassword.FindAllStringSubmatch(conn, -1) {
		v := m[1]
		add(v)
		if strings.HasPrefix(v, "'") && strings.HasSuffix(v, "'") && len(v) >= 2 {
			add(strings.NewReplacer(`\'`, `'`, `\\`, `\`).Replace(v[1 : len(v)-1]))
		}
		if d, err := url.QueryUnescape(v); err == nil {
			add(d)
		}
	}
	return out
}

// maskSecrets replaces every secret in s, the longest first (one may hold
// another).
func maskSecrets(s string, secrets []string) string {
	sorted := slices.Clone(secrets)
	slices.SortFunc(sorted, func(a, b string) int { return len(b) - len(a) })
	for _, sec := range sorted {
		if sec != "" {
			s = strings.ReplaceAll(s, sec, masked)
		}
	}
	return s
}
