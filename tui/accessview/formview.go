package accessview

import (
	"fmt"

	"github.com/devenv-dev/devenv/internal/format"
)

// lines renders the request form.
func (f form) lines() []string {
	mark := func(i int) string {
		if i == f.field {
			return "> "
		}
		return "  "
	}
	lines := []string{styleHeader.Render("REQUEST ACCESS"), ""}
	lines = append(lines, mark(fieldTarget)+"target  "+f.targetLine())
	if len(f.targets) > 0 && f.targets[f.pick].Description != "" {
		lines = append(lines, "          "+styleFaint.Render(f.targets[f.pick].Description))
	}
	lines = append(lines,
		mark(fieldReason)+"reason  "+f.reason.View(),
		mark(fieldFor)+"for     "+f.ttl.View(),
		"")
	if f.problem != "" {
		lines = append(lines, styleBad.Render(f.problem), "")
	}
	return append(lines, styleFaint.Render("enter: next, sends on the last field · tab: move · ←/→: target · esc: cancel"))
}

func (f form) targetLine() string {
	switch {
	case !f.loaded:
		return styleFaint.Render("reading the targets…")
	case f.err != nil:
		return styleBad.Render("cannot list the targets: " + f.err.Error())
	case len(f.targets) == 0:
		return styleFaint.Render("none: the hub's gateways expose no target")
	}
	t := f.targets[f.pick]
	return fmt.Sprintf("‹ %s ›  %s", t.Name, styleFaint.Render(fmt.Sprintf("%s, at most %s · %d of %d",
		t.Protocol, format.Duration(t.MaxTTL), f.pick+1, len(f.targets))))
}
