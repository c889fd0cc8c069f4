// Package cli is devenv's command line: one file per noun, each turning flags
// into an Options value, making one library call and rendering the result.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"

	"github.com/spf13/cobra"

	"github.com/devenv-dev/devenv/env/config"
	"github.com/devenv-dev/devenv/env/engine"
)

// Exit codes, documented in README.md.
const (
	ExitOK          = 0
	ExitError       = 1   // any other failure
	ExitUsage       = 2   // bad flags or arguments, or a missing or invalid envs.yaml
	ExitEngine      = 3   // the Docker Engine cannot be reached
	ExitService     = 4   // a service failed to become ready (exited, unhealthy, timed out)
	ExitPort        = 5   // a published host port is taken; nothing was created
	ExitInterrupted = 130 // interrupted (Ctrl-C)
)

// globals are the flags every command shares.
type globals struct {
	project  string // -p/--project-name
	progress string // auto, tty, plain, json
	output   string // the running command's -o/--output (table, text, yaml or json)
	stdin    io.Reader
	stdout   io.Writer
	stderr   io.Writer

	files    []string // -f/--file, repeatable: merged in order
	profiles []string // --profile, repeatable
}

// usageError marks errors in how the command was called.
type usageError struct{ error }

// Run runs the devenv command line and returns the process exit code.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	g := &globals{stdin: stdin, stdout: stdout, stderr: stderr}
	root := newRoot(g)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	var ec exitCodeError
	if errors.As(err, &ec) {
		return int(ec)
	}
	fmt.Fprintln(stderr, "devenv: "+err.Error())
	return exitCode(ctx, err)
}

// exitCodeError carries a code already explained to the user (exec's exit status).
type exitCodeError int

func (e exitCodeError) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

func exitCode(ctx context.Context, err error) int {
	var cfg *config.ErrorList
	var use usageError
	switch {
	case ctx.Err() != nil && errors.Is(err, context.Canceled):
		return ExitInterrupted
	case errors.As(err, &cfg), errors.As(err, &use), errors.Is(err, config.ErrNoFile),
		errors.Is(err, config.ErrUnknownEnvironment), errors.Is(err, config.ErrUnknownService),
		errors.Is(err, config.ErrProfileDisabled):
		return ExitUsage
	case errors.Is(err, engine.ErrUnreachable):
		return ExitEngine
	case isPortConflict(err):
		return ExitPort
	case isServiceFailure(err):
		return ExitService
	}
	return ExitError
}

func newRoot(g *globals) *cobra.Command {
	root := &cobra.Command{
		Use:   "devenv",
		Short: "The team's whole service stack on your machine",
		Long: `devenv brings up the services described in envs.yaml on the local Docker Engine,
in dependency order, healthy, on one network where each service is reachable by name.

Run "devenv up" in a directory with an envs.yaml (or a subdirectory of one).
Global flags (-f, -p, --progress) go before or after the command: devenv -p demo ps
or devenv ps -p demo (after logs, whose -f is --follow, say --file).`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return rootRun(cmd, g)
		},
		// Global flags are checked before any command does anything.
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			switch g.progress {
			case "auto", "tty", "plain", "json":
			default:
				return usageError{fmt.Errorf("--progress %q: use auto, tty, plain or json", g.progress)}
			}
			noteAliases(cmd, g)
			if err := checkOutput(cmd, g); err != nil {
				return err
			}
			return g.checkProjectName()
		},
	}
	root.SetVersionTemplate("{{.Version}}")
	root.Version = currentVersion().String() // --version prints what devenv version does
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	// Global flags may come before the command, as with docker compose
	// (TraverseChildren), or after it (persistent flags, listed under
	// "Global Flags" in every command's help).
	root.TraverseChildren = true
	pf := root.PersistentFlags()
	pf.StringArrayVarP(&g.files, "file", "f", nil, "configuration file, repeatable: later files are merged onto earlier ones; - reads stdin\n(default: $DEVENV_FILE or $COMPOSE_FILE, else envs.yaml, compose.yaml, … here or in a parent directory)")
	pf.StringArrayVar(&g.profiles, "profile", nil, "enable a profile's services, repeatable (also $COMPOSE_PROFILES)")
	_ = root.RegisterFlagCompletionFunc("profile", completeProfiles(g))
	pf.StringVarP(&g.project, "project-name", "p", "", "project name (default: name: in envs.yaml); down needs no envs.yaml with it")
	pf.StringVar(&g.progress, "progress", "auto", "progress output: auto, tty, plain or json")
	root.AddCommand(
		textOrJSON(newUpCmd(g)), progressOutputFlag(newDownCmd(g)), progressOutputFlag(newPullCmd(g)),
		progressOutputFlag(newLifecycleCmd(g, "start")), progressOutputFlag(newLifecycleCmd(g, "stop")),
		progressOutputFlag(newLifecycleCmd(g, "restart")),
		progressOutputFlag(newBuildCmd(g)),
		textOrJSON(newWatchCmd(g)),
		newPsCmd(g), newLogsCmd(g), newTUICmd(g), newExecCmd(g), newConfigCmd(g), newLockCmd(g), newOutdatedCmd(g),
		newHubCmd(g),
		newVPNCmd(g),
		newAccessCmd(g),
		newGatewayCmd(g),
		newVersionCmd(g),
		newPauseCmd(g, "pause"), newPauseCmd(g, "unpause"), newKillCmd(g), newRmCmd(g),
		newPortCmd(g), newTopCmd(g),
		newImagesCmd(g), newLsCmd(g),
		newEventsCmd(g), newCpCmd(g),
		newRunCmd(g),
	)
	usageArgs(root)
	return root
}

// usageArgs makes every command's argument errors usage errors (exit 2),
// including an unknown command.
func usageArgs(c *cobra.Command) {
	if check := c.Args; check != nil {
		c.Args = func(cmd *cobra.Command, args []string) error {
			if err := check(cmd, args); err != nil {
				return usageError{err}
			}
			return nil
		}
	}
	for _, sub := range c.Commands() {
		usageArgs(sub)
	}
}

// loadProject reads envs.yaml as the global flags say.
func (g *globals) loadProject() (*config.Project, error) {
	wd, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	if err := g.checkProjectName(); err != nil {
		return nil, err
	}
	p, err := config.Load(g.loadOptions(wd))
	if err != nil {
		return nil, err
	}
	if g.project != "" {
		p.Name = g.project
	}
	for _, w := range p.Warnings {
		fmt.Fprintln(g.stderr, "devenv: warning: "+w.Error())
	}
	return p, nil
}

var projectNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)

func (g *globals) checkProjectName() error {
	if g.project != "" && !projectNameRE.MatchString(g.project) {
		return usageError{fmt.Errorf("--project-name %q: use lowercase letters, digits, _ and -, starting with a letter or digit", g.project)}
	}
	return nil
}

// open loads envs.yaml and connects to the engine; the caller closes the engine.
func (g *globals) open(ctx context.Context) (*config.Project, *engine.Docker, error) {
	p, err := g.loadProject()
	if err != nil {
		return nil, nil, err
	}
	eng, err := connect(ctx)
	if err != nil {
		return nil, nil, err
	}
	return p, eng, nil
}

// openWithProgress is open plus the progress renderer the flags ask for.
func (g *globals) openWithProgress(ctx context.Context) (*config.Project, *engine.Docker, progress, error) {
	prog, err := g.newProgress()
	if err != nil {
		return nil, nil, nil, err
	}
	p, eng, err := g.open(ctx)
	if err != nil {
		prog.Close()
		return nil, nil, nil, err
	}
	return p, eng, prog, nil
}

// connect opens the Docker Engine.
func connect(ctx context.Context) (*engine.Docker, error) {
	return engine.NewDocker(ctx)
}
