package config

import (
	"strconv"
	"time"

	"gopkg.in/yaml.v3"
)

// Docker's defaults for a healthcheck's timing.
const (
	defaultInterval = 30 * time.Second
	defaultTimeout  = 30 * time.Second
	defaultRetries  = 3
)

// healthcheck parses a healthcheck: block. A disabled check (disable: true or
// test: ["NONE"]) comes back as {Disable: true} with nothing else set.
func (p *parser) healthcheck(n *yaml.Node, what string) *Healthcheck {
	if !p.mapping(n, what) {
		return nil
	}
	f := p.fields(n, what, healthcheckKeys, false)
	h := &Healthcheck{Interval: defaultInterval, Timeout: defaultTimeout, Retries: defaultRetries}
	if v := f["test"]; v != nil {
		h.Test = p.healthTest(v, what+" test")
	}
	disabled := len(h.Test) == 1 && h.Test[0] == "NONE"
	if v := f["disable"]; v != nil {
		d := p.boolean(v, what+" disable")
		if d && len(h.Test) > 0 && !disabled {
			p.errorf(v, "%s has both disable: true and a test; remove one of them", what)
		}
		disabled = disabled || d
	}
	if disabled {
		return &Healthcheck{Disable: true}
	}
	p.duration(f["interval"], what+" interval", &h.Interval, false)
	p.duration(f["timeout"], what+" timeout", &h.Timeout, false)
	p.duration(f["start_period"], what+" start_period", &h.StartPeriod, true)
	p.duration(f["start_interval"], what+" start_interval", &h.StartInterval, true)
	if v := f["retries"]; v != nil {
		s, _ := p.str(v, what+" retries")
		r, err := strconv.Atoi(s)
		if err != nil || r < 1 {
			p.errorf(v, "%s retries %q must be a whole number of at least 1", what, s)
		}
		h.Retries = r
	}
	return h
}

// healthTest accepts a list starting with CMD, CMD-SHELL or NONE, or a
// string, which is run by the shell (CMD-SHELL).
func (p *parser) healthTest(n *yaml.Node, what string) []string {
	if n.Kind == yaml.ScalarNode && !isNull(n) {
		return []string{"CMD-SHELL", n.Value}
	}
	test, _ := p.strList(n, what, false)
	if n.Kind != yaml.SequenceNode {
		return nil
	}
	ok := len(test) > 0
	if ok {
		switch test[0] {
		case "CMD":
			ok = len(test) >= 2
		case "CMD-SHELL":
			ok = len(test) == 2
		case "NONE":
			ok = len(test) == 1
		default:
			ok = false
		}
	}
	if !ok {
		p.errorf(n, `%s must be ["CMD", PROGRAM, ARGS...], ["CMD-SHELL", SCRIPT], ["NONE"] or a shell command string`, what)
		return nil
	}
	return test
}

// duration parses a Go duration such as 1m30s into *dst when n is set.
func (p *parser) duration(n *yaml.Node, what string, dst *time.Duration, zeroOK bool) {
	if n == nil {
		return
	}
	s, ok := p.str(n, what)
	if !ok {
		return
	}
	d, err := time.ParseDuration(s)
	switch {
	case err != nil:
		p.errorf(n, "%s %q is not a duration; write e.g. 500ms, 10s or 1m30s", what, s)
	case d < 0 && zeroOK:
		p.errorf(n, "%s %q must not be negative", what, s)
	case d <= 0 && !zeroOK:
		p.errorf(n, "%s %q must be more than zero", what, s)
	default:
		*dst = d
	}
}

// boolean parses true or false.
func (p *parser) boolean(n *yaml.Node, what string) bool {
	s, _ := p.str(n, what)
	switch s {
	case "true":
		return true
	case "false":
		return false
	}
	p.errorf(n, "%s must be true or false, not %s", what, kindName(n))
	return false
}
