package cli

import (
	"github.com/devenv-dev/devenv/env/config"
)

// loadOptions turns the global file and profile flags into the options
// config.Load takes; wd "" is the current directory.
func (g *globals) loadOptions(wd string) config.LoadOptions {
	return config.LoadOptions{WorkDir: wd, FileOptions: config.FileOptions{
		Files: g.files, Stdin: g.stdin, Profiles: g.profiles,
	}}
}
