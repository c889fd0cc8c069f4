package config

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// ErrNoFile is wrapped by Load and FindFiles when no file can be found
// or the file named by -f or DEVENV_FILE does not exist.
var ErrNoFile = errors.New("no configuration file found")

// ErrUnknownEnvironment and ErrUnknownService are wrapped by Resolve and
// Closure when a command names something envs.yaml does not declare.
var (
	ErrUnknownEnvironment = errors.New("unknown environment")
	ErrUnknownService     = errors.New("unknown service")
)

// Error is one problem in a file, with the position of the value at fault.
// Line and Column are 1-based; 0 means the position is unknown (for example
// a problem with the file as a whole).
type Error struct {
	File   string
	Line   int
	Column int
	Msg    string // "what is wrong; how to fix it"
}

// Error returns "file:line:column: msg", leaving out unknown parts.
func (e *Error) Error() string {
	switch {
	case e.Line > 0 && e.Column > 0:
		return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Column, e.Msg)
	case e.Line > 0:
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	default:
		return fmt.Sprintf("%s: %s", e.File, e.Msg)
	}
}

// ErrorList is every problem found in one load, sorted by position.
// Load and Parse return it as a *ErrorList; errors.As works with both
// *ErrorList and *Error (the latter finds the first problem).
type ErrorList []*Error

// Error returns one line per problem.
func (l ErrorList) Error() string {
	lines := make([]string, len(l))
	for i, e := range l {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap exposes the individual errors to errors.Is and errors.As.
func (l ErrorList) Unwrap() []error {
	errs := make([]error, len(l))
	for i, e := range l {
		errs[i] = e
	}
	return errs
}

// As lets errors.As fill an ErrorList value as well as a *ErrorList.
func (l ErrorList) As(target any) bool {
	if t, ok := target.(*ErrorList); ok {
		*t = l
		return true
	}
	return false
}

// sort orders the list by file, line, column and message, and drops exact
// duplicates (an anchored node reached twice reports its problem once).
func (l *ErrorList) sort() {
	s := *l
	sort.SliceStable(s, func(i, j int) bool {
		a, b := s[i], s[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Column != b.Column {
			return a.Column < b.Column
		}
		return a.Msg < b.Msg
	})
	out := s[:0]
	for i, e := range s {
		if i > 0 && *e == *s[i-1] {
			continue
		}
		out = append(out, e)
	}
	*l = out
}

// err returns l as an error, or nil when it is empty.
func (l *ErrorList) err() error {
	if len(*l) == 0 {
		return nil
	}
	l.sort()
	return l
}

// didYouMean returns ` (did you mean "x"?)` for the closest candidate, or
// "" when none is close enough to be a likely typo.
func didYouMean(got string, candidates []string) string {
	best, bestDist := "", -1
	for _, c := range candidates {
		d := levenshtein(strings.ToLower(got), strings.ToLower(c))
		if bestDist < 0 || d < bestDist || (d == bestDist && c < best) {
			best, bestDist = c, d
		}
	}
	// Two edits catch a swapped pair of letters (imgae -> image).
	limit := max(2, len(got)/3)
	if bestDist < 0 || bestDist > limit || bestDist >= len(got) {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// levenshtein is the edit distance between a and b, counted in bytes.
func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// quoteList renders names as `"a", "b", "c"` for messages.
func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}
