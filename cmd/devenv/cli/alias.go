package cli

import (
	"fmt"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// aliasKey is the annotation of a flag's old name: the name it became.
const aliasKey = "devenv_alias_of"

// aliasFlag keeps old, hidden, as another name of the flag now called
// name, so that scripts written before the rename keep working; the root
// command notes the new name when old is used.
func aliasFlag(fs *pflag.FlagSet, old, name string) {
	f := fs.Lookup(name)
	fs.AddFlag(&pflag.Flag{Name: old, Usage: "old name of --" + name, Value: f.Value, DefValue: f.DefValue,
		Hidden: true, Annotations: map[string][]string{aliasKey: {name}}})
}

// noteAliases tells the user which old flag names the command was given.
func noteAliases(cmd *cobra.Command, g *globals) {
	// VisitAll and Changed, not Visit: with TraverseChildren a parent's
	// flags are parsed by the parent's flag set.
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if to := f.Annotations[aliasKey]; to != nil && f.Changed {
			fmt.Fprintf(g.stderr, "devenv: note: --%s is now --%s; the old name still works\n", f.Name, to[0])
		}
	})
}
