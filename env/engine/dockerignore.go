package engine

import (
	"bufio"
	"fmt"
	"io"
	"path"
	"regexp"
	"strings"
)

// Ignore is a parsed .dockerignore: which paths of a build context are not
// sent to the engine.
//
// Each line is a pattern in the syntax of path.Match, plus ** for any number
// of directories; # starts a comment line; a leading ! makes an exception.
// The last pattern that matches a path decides, and a path is excluded when
// it or one of its parent directories is.
type Ignore struct {
	rules []ignoreRule
}

type ignoreRule struct {
	re     *regexp.Regexp
	except bool
}

// ParseIgnore reads .dockerignore patterns from r.
func ParseIgnore(r io.Reader) (*Ignore, error) {
	ig := &Ignore{}
	sc := bufio.NewScanner(r)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		except := strings.HasPrefix(text, "!")
		if except {
			text = strings.TrimSpace(text[1:])
		}
		text = strings.TrimPrefix(path.Clean("/"+strings.ReplaceAll(text, "\\", "/")), "/")
		if text == "" {
			continue
		}
		re, err := ignoreRegexp(text)
		if err != nil {
			return nil, fmt.Errorf("line %d: pattern %q: %w", line, text, err)
		}
		ig.rules = append(ig.rules, ignoreRule{re: re, except: except})
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return ig, nil
}

// ignoreRegexp turns one pattern into an anchored regular expression.
func ignoreRegexp(pat string) (*regexp.Regexp, error) {
	var b strings.Builder
	b.WriteString("^")
	for i := 0; i < len(pat); i++ {
		c := pat[i]
		switch {
		case strings.HasPrefix(pat[i:], "**/"):
			b.WriteString("(.*/)?")
			i += 2
		case strings.HasPrefix(pat[i:], "**"):
			b.WriteString(".*")
			i++
		case c == '*':
			b.WriteString("[^/]*")
		case c == '?':
			b.WriteString("[^/]")
		case c == '[':
			end := strings.IndexByte(pat[i+1:], ']')
			if end < 0 {
				return nil, fmt.Errorf("unclosed [")
			}
			class := pat[i+1 : i+1+end]
			if strings.HasPrefix(class, "!") {
				class = "^" + class[1:]
			}
			b.WriteString("[" + class + "]")
			i += end + 1
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString("$")
	return regexp.Compile(b.String())
}

// Excluded reports whether the slash-separated relative path rel is left
// out of the context.
func (ig *Ignore) Excluded(rel string) bool {
	if ig == nil {
		return false
	}
	excluded := false
	for _, r := range ig.rules {
		if r.except == !excluded {
			continue // cannot change the verdict
		}
		if r.matchesOrParent(rel) {
			excluded = !r.except
		}
	}
	return excluded
}

// HasExceptions reports whether a ! pattern could bring back a path inside
// an excluded directory (so the directory must still be walked).
func (ig *Ignore) HasExceptions() bool {
	if ig == nil {
		return false
	}
	for _, r := range ig.rules {
		if r.except {
			return true
		}
	}
	return false
}

func (r ignoreRule) matchesOrParent(rel string) bool {
	for p := rel; ; {
		if r.re.MatchString(p) {
			return true
		}
		i := strings.LastIndexByte(p, '/')
		if i < 0 {
			return false
		}
		p = p[:i]
	}
}
