package cli

import (
	"github.com/spf13/cobra"

	"github.com/devenv-dev/devenv/env/config"
)

// loadOptions turns the global file and profile flags into the options
// config.Load takes; wd "" is the current directory.
func (g *globals) loadOptions(wd string) config.LoadOptions {
	return config.LoadOptions{WorkDir: wd, FileOptions: config.FileOptions{
		Files: g.files, Stdin: g.stdin, Profiles: g.profiles, ProjectName: g.project,
	}}
}

// completeProfiles completes --profile with the profiles the services list.
func completeProfiles(g *globals) cobra.CompletionFunc {
	return func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
		p, err := g.loadProject()
		if err != nil {
			return nil, noFiles
		}
		return p.AllProfileNames(), noFiles
	}
}
