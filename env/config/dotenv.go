package config

import (
	"strings"
)

// envLine is one KEY=VALUE entry of a .env or env_file file.
type envLine struct {
	Key, Value string
}

// parseEnvFile reads KEY=VALUE lines as docker compose does for .env and
// env_file: blank lines and lines starting with # are skipped, an optional
// "export " prefix is allowed, values may be wrapped in single quotes
// (literal) or double quotes (\n, \" and \\ escapes); an unquoted value ends
// at " #". Values are not interpolated.
func parseEnvFile(file string, data []byte, errs *ErrorList) []envLine {
	var out []envLine
	for i, raw := range strings.Split(string(data), "\n") {
		line := strings.TrimSpace(strings.TrimSuffix(raw, "\r"))
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		line = strings.TrimPrefix(line, "export ")
		key, val, ok := strings.Cut(line, "=")
		key = strings.TrimSpace(key)
		if !ok || key == "" || strings.ContainsAny(key, " \t") {
			*errs = append(*errs, &Error{File: file, Line: i + 1, Column: 1,
				Msg: "expected KEY=VALUE; fix the line or comment it out with #"})
			continue
		}
		v, ok := envValue(strings.TrimSpace(val))
		if !ok {
			*errs = append(*errs, &Error{File: file, Line: i + 1, Column: len(raw) - len(strings.TrimLeft(raw, " \t")) + 1,
				Msg: "value of " + key + " has an unterminated quote; close the quote"})
			continue
		}
		out = append(out, envLine{Key: key, Value: v})
	}
	return out
}

// envValue unquotes one value; ok is false for an unterminated quote.
func envValue(v string) (string, bool) {
	if v == "" {
		return "", true
	}
	switch v[0] {
	case '\'':
		end := strings.IndexByte(v[1:], '\'')
		if end < 0 {
			return "", false
		}
		return v[1 : end+1], true
	case '"':
		return doubleQuoted(v[1:])
	}
	if i := strings.Index(v, " #"); i >= 0 {
		v = strings.TrimSpace(v[:i])
	}
	return v, true
}

// doubleQuoted reads a double-quoted value whose opening quote is gone.
func doubleQuoted(v string) (string, bool) {
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c == '"':
			return b.String(), true
		case c == '\\' && i+1 < len(v):
			i++
			switch v[i] {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case '"', '\\':
				b.WriteByte(v[i])
			default:
				b.WriteByte('\\')
				b.WriteByte(v[i])
			}
		default:
			b.WriteByte(c)
		}
	}
	return "", false
}
