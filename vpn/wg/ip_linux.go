//go:build linux

package wg

import (
	"bytes"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
)

// ip runs the ip tool (iproute2).
func ip(args ...string) error {
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip %s: %w: %s", strings.Join(args, " "), err, bytes.TrimSpace(out))
	}
	return nil
}

// configureLink gives the link its address, MTU and routes and brings it up.
func configureLink(name string, c Config) error {
	steps := [][]string{
		{"addr", "add", c.Address.String(), "dev", name},
		{"link", "set", "dev", name, "mtu", strconv.Itoa(c.MTU), "up"},
	}
	for _, r := range c.Routes {
		steps = append(steps, []string{"route", "replace", r.Masked().String(), "dev", name})
	}
	for _, args := range steps {
		if err := ip(args...); err != nil {
			return fmt.Errorf("configuring %s: %w", name, err)
		}
	}
	return nil
}
