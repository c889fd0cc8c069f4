package cli

import (
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/devenv-dev/devenv/env"
	"github.com/devenv-dev/devenv/env/engine"
)

func newPortCmd(g *globals) *cobra.Command {
	var o env.PortOptions
	cmd := &cobra.Command{
		Use:               "port SERVICE PRIVATE_PORT",
		ValidArgsFunction: completeFirst(completeServices(g)),
		Short:             "Print the host address (HOST:PORT) a service's container port is published on",
		Args:              cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			n, err := strconv.ParseUint(args[1], 10, 16)
			if err != nil || n == 0 {
				return usageError{fmt.Errorf("port %q: give the container's port, a number from 1 to 65535", args[1])}
			}
			if o.Protocol != "tcp" && o.Protocol != "udp" {
				return usageError{fmt.Errorf("--protocol %q: use tcp or udp", o.Protocol)}
			}
			ctx := cmd.Context()
			p, eng, err := g.open(ctx)
			if err != nil {
				return err
			}
			defer eng.Close()
			o.Service, o.Port = args[0], uint16(n)
			pp, err := env.Port(ctx, eng, p, o)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintln(g.stdout, hostPort(pp))
			return err
		},
	}
	cmd.Flags().StringVar(&o.Protocol, "protocol", "tcp", "tcp or udp")
	return cmd
}

// hostPort is a binding's host side as an address to connect to.
func hostPort(pp engine.PublishedPort) string {
	host := pp.HostIP
	if host == "" {
		host = "0.0.0.0"
	}
	return net.JoinHostPort(host, strconv.Itoa(int(pp.HostPort)))
}

func newTopCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:               "top [SERVICE...]",
		ValidArgsFunction: completeServices(g),
		Short:             "List the processes of the services' running containers (all when none is named)",
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			p, eng, err := g.open(ctx)
			if err != nil {
				return err
			}
			defer eng.Close()
			tops, err := env.Top(ctx, eng, p, args)
			if err != nil {
				return err
			}
			return writeTop(g.stdout, tops)
		},
	}
}

// writeTop prints each container's name, then its processes as a table,
// with a blank line between containers.
func writeTop(w io.Writer, tops []env.ContainerProcesses) error {
	for i, t := range tops {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintln(w, t.Container)
		tw := newTable(w)
		fmt.Fprintln(tw, strings.Join(t.Titles, "\t"))
		for _, row := range t.Rows {
			fmt.Fprintln(tw, strings.Join(row, "\t"))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	return nil
}
