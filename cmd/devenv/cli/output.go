package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"
)

// A command's result goes to stdout in the format its -o/--output names;
// what happens on the way (progress, status, hints) goes to stderr, as
// --progress says. The two stay apart: -o json is the answer for a program
// (one JSON document, or JSON lines for a stream such as logs), --progress
// json the events that led to it.

// formatsKey is the flag annotation that lists the formats -o accepts.
const formatsKey = "devenv_output_formats"

// outputFlag gives cmd -o/--output in one of formats, the first the
// default: "table" or "text" (or "yaml") for people, "json" for programs.
// The root command checks the value and puts it in g.output.
func outputFlag(cmd *cobra.Command, formats ...string) *cobra.Command {
	fl := cmd.Flags()
	fl.StringP("output", "o", formats[0], "the result's format: "+orList(formats))
	_ = fl.SetAnnotation("output", formatsKey, formats)
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(formats, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// tableOrJSON is outputFlag for the commands that list or show.
func tableOrJSON(cmd *cobra.Command) *cobra.Command {
	return outputFlag(cmd, "table", "json")
}

// textOrJSON is outputFlag for the commands that do something and say what.
func textOrJSON(cmd *cobra.Command) *cobra.Command {
	return outputFlag(cmd, "text", "json")
}

// progressOnlyKey marks the -o of a command whose only output is progress.
const progressOnlyKey = "devenv_output_progress_only"

// progressOutputFlag keeps "-o json" working, hidden, on the commands whose
// only output is progress (down, pull, start, stop, restart): it used to
// mean --progress json, which it still does, with a note.
func progressOutputFlag(cmd *cobra.Command) *cobra.Command {
	fl := cmd.Flags()
	fl.StringP("output", "o", "", "deprecated: use --progress json")
	_ = fl.SetAnnotation("output", formatsKey, []string{"json"})
	_ = fl.SetAnnotation("output", progressOnlyKey, []string{"true"})
	_ = fl.MarkHidden("output")
	return cmd
}

// checkOutput validates the running command's -o and records it in g.
func checkOutput(cmd *cobra.Command, g *globals) error {
	f := cmd.Flags().Lookup("output")
	if f == nil {
		return nil
	}
	v, formats := f.Value.String(), f.Annotations[formatsKey]
	if f.Changed && !slices.Contains(formats, v) {
		if f.Annotations[progressOnlyKey] != nil {
			return usageError{fmt.Errorf("--output %q: %s has no result to format; its progress is --progress auto, tty, plain or json", v, cmd.Name())}
		}
		return usageError{fmt.Errorf("--output %q: use %s", v, orList(formats))}
	}
	if f.Annotations[progressOnlyKey] != nil {
		if f.Changed {
			fmt.Fprintf(g.stderr, "devenv: note: -o json on %s is --progress json; say that instead\n", cmd.Name())
			g.progress = "json"
		}
		return nil
	}
	g.output = v
	return nil
}

// orList is "a, b or c".
func orList(s []string) string {
	if len(s) < 2 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
}

// jsonOut is whether the running command's result is wanted as JSON.
func (g *globals) jsonOut() bool { return g.output == "json" }

// writeJSON writes v as one indented JSON document.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
