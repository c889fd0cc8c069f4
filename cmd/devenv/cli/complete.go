package cli

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/devenv-dev/devenv/internal/format"
	"github.com/devenv-dev/devenv/vpn/hubapi"
	"github.com/devenv-dev/devenv/vpn/hubclient"
)

// Dynamic completion (cobra's __complete): service and environment names
// from envs.yaml, access targets and request IDs from the hub. Completion
// runs on every Tab: what cannot be read (no envs.yaml, no hub) completes
// to nothing, silently and soon.

// hubCompleteTimeout bounds a completion's call to the hub.
const hubCompleteTimeout = 2 * time.Second

const noFiles = cobra.ShellCompDirectiveNoFileComp

// completeServices completes every argument with the services of envs.yaml
// not named yet.
func completeServices(g *globals) cobra.CompletionFunc {
	return func(_ *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
		p, err := g.loadProject()
		if err != nil {
			return nil, noFiles
		}
		var out []cobra.Completion
		for name := range p.Services {
			if !slices.Contains(args, name) {
				out = append(out, name)
			}
		}
		slices.Sort(out)
		return out, noFiles
	}
}

// completeFirst completes only the first argument, with complete.
func completeFirst(complete cobra.CompletionFunc) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, noFiles
		}
		return complete(cmd, args, toComplete)
	}
}

// completeEnvironments completes the environments of envs.yaml.
func completeEnvironments(g *globals) cobra.CompletionFunc {
	return completeFirst(func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
		p, err := g.loadProject()
		if err != nil {
			return nil, noFiles
		}
		return p.EnvironmentNames(), noFiles
	})
}

// askHub calls the hub as this device, within hubCompleteTimeout; false
// when that fails for any reason.
func askHub(cmd *cobra.Command, f *accessFlags, call func(context.Context, *hubclient.Client) error) bool {
	c, err := f.client()
	if err != nil {
		return false
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(cmd.Context(), hubCompleteTimeout)
	defer cancel()
	return call(ctx, c) == nil
}

// targetCompletions are the targets the caller may ask for, described.
func targetCompletions(cmd *cobra.Command, f *accessFlags) []cobra.Completion {
	var ts []hubapi.Target
	if !askHub(cmd, f, func(ctx context.Context, c *hubclient.Client) (err error) { ts, err = c.Targets(ctx); return err }) {
		return nil
	}
	var out []cobra.Completion
	for _, t := range ts {
		out = append(out, cobra.CompletionWithDesc(t.Name, t.Protocol+", at most "+format.Duration(t.MaxTTL)))
	}
	return out
}

// requestCompletions are the IDs of the requests in state (a hubclient
// filter) that keep says, described.
func requestCompletions(cmd *cobra.Command, f *accessFlags, state string, keep func(hubapi.Request, time.Time) bool) []cobra.Completion {
	var rs []hubapi.Request
	if !askHub(cmd, f, func(ctx context.Context, c *hubclient.Client) (err error) {
		rs, err = c.Requests(ctx, state)
		return err
	}) {
		return nil
	}
	return requestIDs(rs, time.Now(), keep)
}

// requestIDs are the IDs of the requests that keep says, described.
func requestIDs(rs []hubapi.Request, now time.Time, keep func(hubapi.Request, time.Time) bool) []cobra.Completion {
	var out []cobra.Completion
	for _, r := range rs {
		if keep(r, now) {
			p := r.Printable()
			desc := strings.Join([]string{p.Requester, p.Target, r.StateAt(now), format.OneLine(r.Reason, 40)}, " · ")
			out = append(out, cobra.CompletionWithDesc(p.ID, desc))
		}
	}
	return out
}

// completeTargets completes the first argument with the hub's targets.
func completeTargets(f *accessFlags) cobra.CompletionFunc {
	return completeFirst(func(cmd *cobra.Command, _ []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return targetCompletions(cmd, f), noFiles
	})
}

// completeRequests completes the first argument with the IDs of the
// requests in state that keep says.
func completeRequests(f *accessFlags, state string, keep func(hubapi.Request, time.Time) bool) cobra.CompletionFunc {
	return completeFirst(func(cmd *cobra.Command, _ []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return requestCompletions(cmd, f, state, keep), noFiles
	})
}

// completeConnect completes connect's TARGET|ID: the targets, and the
// caller's grants that are live now.
func completeConnect(f *accessFlags) cobra.CompletionFunc {
	return completeFirst(func(cmd *cobra.Command, _ []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
		live := func(r hubapi.Request, now time.Time) bool { return r.StateAt(now) == hubapi.StateApproved }
		return append(targetCompletions(cmd, f), requestCompletions(cmd, f, hubclient.RequestsMine, live)...), noFiles
	})
}

// isPending and pendingOrLive are request filters for completion.
func isPending(r hubapi.Request, _ time.Time) bool { return r.State == hubapi.StatePending }

func pendingOrLive(r hubapi.Request, now time.Time) bool {
	s := r.StateAt(now)
	return s == hubapi.StatePending || s == hubapi.StateApproved
}
