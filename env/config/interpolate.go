package config

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// maxInterpolationDepth bounds nesting such as ${A:-${B:-${C}}}.
const maxInterpolationDepth = 10

// interpolateTree replaces ${VAR} references in every scalar value of the
// tree, in place. Mapping keys are left alone, as in compose. Alias nodes are
// skipped: their anchor is interpolated where it is defined.
func (p *parser) interpolateTree(n *yaml.Node) {
	switch n.Kind {
	case yaml.DocumentNode, yaml.SequenceNode:
		for _, c := range n.Content {
			p.interpolateTree(c)
		}
	case yaml.MappingNode:
		for i := 1; i < len(n.Content); i += 2 {
			p.interpolateTree(n.Content[i])
		}
	case yaml.ScalarNode:
		if !strings.Contains(n.Value, "$") {
			return
		}
		v, err := interpolate(n.Value, p.lookupVar, 0)
		if err != nil {
			p.errorf(n, "%v", err)
			p.failed[n] = true
			return
		}
		n.Value = v
	}
}

// lookupVar finds a variable in the process environment, then in .env.
func (p *parser) lookupVar(name string) (string, bool) {
	if v, ok := p.lookupEnv(name); ok {
		return v, true
	}
	v, ok := p.dotenv[name]
	return v, ok
}

// interpolate expands $VAR, ${VAR} and the ${VAR:-default} family in s;
// $$ is a literal $.
func interpolate(s string, lookup func(string) (string, bool), depth int) (string, error) {
	if depth > maxInterpolationDepth {
		return "", fmt.Errorf("variable references nested more than %d deep; simplify the default values", maxInterpolationDepth)
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		if s[i] != '$' {
			b.WriteByte(s[i])
			i++
			continue
		}
		n, err := expandAt(&b, s[i:], lookup, depth)
		if err != nil {
			return "", err
		}
		i += n
	}
	return b.String(), nil
}

// expandAt expands the reference at the start of s (which begins with '$'),
// writes the result to b and returns how many bytes it consumed.
func expandAt(b *strings.Builder, s string, lookup func(string) (string, bool), depth int) (int, error) {
	if len(s) > 1 && s[1] == '$' {
		b.WriteByte('$')
		return 2, nil
	}
	if len(s) > 1 && s[1] == '{' {
		end := matchBrace(s)
		if end < 0 {
			return 0, fmt.Errorf("unclosed %q; close it with } or write $$ for a literal $", truncate(s, 20))
		}
		v, err := expandBraced(s[2:end], lookup, depth)
		if err != nil {
			return 0, err
		}
		b.WriteString(v)
		return end + 1, nil
	}
	name := varName(s[1:])
	if name == "" {
		return 0, fmt.Errorf("invalid interpolation %q; write ${VAR} for a variable or $$ for a literal $", truncate(s, 20))
	}
	v, _ := lookup(name)
	b.WriteString(v)
	return 1 + len(name), nil
}

// matchBrace returns the index of the } closing the ${ at the start of s,
// counting nested ${…}, or -1.
func matchBrace(s string) int {
	depth := 0
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '$' && i+1 < len(s) && s[i+1] == '$':
			i++
		case s[i] == '$' && i+1 < len(s) && s[i+1] == '{':
			depth++
			i++
		case s[i] == '}':
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}

// expandBraced evaluates the inside of ${…}.
func expandBraced(inner string, lookup func(string) (string, bool), depth int) (string, error) {
	name := varName(inner)
	if name == "" {
		return "", fmt.Errorf("invalid variable reference ${%s}; names are letters, digits and _, not starting with a digit", inner)
	}
	val, set := lookup(name)
	rest := inner[len(name):]
	if rest == "" {
		return val, nil
	}
	op, arg := rest[:1], rest[1:]
	if op == ":" && len(rest) > 1 {
		op, arg = rest[:2], rest[2:]
	}
	nested := func() (string, error) { return interpolate(arg, lookup, depth+1) }
	switch op {
	case ":-", "-":
		if set && (op == "-" || val != "") {
			return val, nil
		}
		return nested()
	case ":+", "+":
		if set && (op == "+" || val != "") {
			return nested()
		}
		return "", nil
	case ":?", "?":
		if set && (op == "?" || val != "") {
			return val, nil
		}
		return "", requiredError(name, arg, set, lookup, depth)
	}
	return "", fmt.Errorf("invalid variable reference ${%s}; use ${%s}, ${%s:-default} or ${%s:?message}", inner, name, name, name)
}

func requiredError(name, arg string, set bool, lookup func(string) (string, bool), depth int) error {
	msg, err := interpolate(arg, lookup, depth+1)
	if err != nil {
		return err
	}
	state := "is not set"
	if set {
		state = "is empty"
	}
	if msg != "" {
		state += ": " + msg
	}
	return fmt.Errorf("required variable %s %s; set %s in the environment or in .env", name, state, name)
}

// varName returns the longest variable name at the start of s.
func varName(s string) string {
	for i := 0; i < len(s); i++ {
		c := s[i]
		letter := c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
		if letter || (i > 0 && c >= '0' && c <= '9') {
			continue
		}
		return s[:i]
	}
	return s
}

// truncate shortens s to n runes for messages.
func truncate(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[:i] + "…"
		}
		n--
	}
	return s
}

// escapeDollars undoes interpolation for Format: every $ becomes $$.
func escapeDollars(s string) string {
	return strings.ReplaceAll(s, "$", "$$")
}
