package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"
)

// environment fills s.Environment: env_file entries first, in order, then
// environment: on top.
func (p *parser) environment(s *Service, envFile, env *yaml.Node, what string) {
	if envFile != nil {
		for _, ref := range p.envFiles(envFile, what+" env_file") {
			for _, l := range p.readEnvFileRef(ref, what) {
				s.Environment[l.Key] = l.Value
			}
		}
	}
	if env != nil {
		p.keyValues(env, what+" environment", s.Environment, true)
	}
}

// readEnvFile reads one env_file entry, relative to the config's directory.
func (p *parser) readEnvFile(name string, n *yaml.Node, what string) []envLine {
	abs, display := name, name
	if !filepath.IsAbs(name) {
		abs = filepath.Join(p.dir, name)
		display = filepath.Join(filepath.Dir(p.file), name)
	}
	data, err := os.ReadFile(abs)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		p.errorf(n, "%s: env_file %s does not exist; create it or remove it from env_file", what, display)
		return nil
	case err != nil:
		p.errorf(n, "%s: cannot read env_file %s: %v; fix the path or its permissions", what, display, err)
		return nil
	}
	return parseEnvFile(display, data, &p.errs)
}

// keyValues reads a mapping KEY: VALUE or a list of KEY=VALUE into dst.
// With fromEnv, a bare KEY (list) or KEY with an empty value (mapping) is
// taken from the process environment, else from the .env file (as
// Compose does), and left out when unset in both.
func (p *parser) keyValues(n *yaml.Node, what string, dst map[string]string, fromEnv bool) {
	set := func(key, val string, bare bool) {
		if !bare || !fromEnv {
			dst[key] = val
			return
		}
		if v, ok := p.lookupVar(key); ok {
			dst[key] = v
		}
	}
	if n.Kind == yaml.MappingNode {
		for _, e := range p.pairs(n) {
			if e.Value.Kind != yaml.ScalarNode {
				p.errorf(e.Value, "%s value of %s must be a string, not %s", what, e.Key, kindName(e.Value))
				continue
			}
			if isNull(e.Value) {
				set(e.Key, "", true)
				continue
			}
			set(e.Key, e.Value.Value, false)
		}
		return
	}
	if n.Kind != yaml.SequenceNode {
		p.errorf(n, "%s must be a mapping or a list of KEY=VALUE, not %s", what, kindName(n))
		return
	}
	vals, nodes := p.strList(n, what, false)
	for i, v := range vals {
		key, val, hasEq := strings.Cut(v, "=")
		if key == "" || strings.ContainsAny(key, " \t") {
			p.errorf(nodes[i], "%s entry %q is invalid; write KEY=VALUE", what, v)
			continue
		}
		set(key, val, !hasEq)
	}
}

// splitShell splits s into words as a POSIX shell would, honouring single
// and double quotes and backslashes, without any expansion.
func splitShell(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case c == '\\':
			if i+1 < len(s) {
				i++
				cur.WriteByte(s[i])
			}
			inWord = true
		case c == '\'' || c == '"':
			end, err := quoted(&cur, s, i)
			if err != nil {
				return nil, err
			}
			i, inWord = end, true
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

// quoted copies the quoted section starting at s[start] into b and returns
// the index of the closing quote.
func quoted(b *strings.Builder, s string, start int) (int, error) {
	q := s[start]
	for i := start + 1; i < len(s); i++ {
		switch {
		case s[i] == q:
			return i, nil
		case q == '"' && s[i] == '\\' && i+1 < len(s) && strings.IndexByte("\"\\$`", s[i+1]) >= 0:
			i++
			b.WriteByte(s[i])
		default:
			b.WriteByte(s[i])
		}
	}
	return 0, fmt.Errorf("unterminated %c quote; close it or write the command as a list", q)
}
