package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"flag"
	"fmt"
	"net/http/httptrace"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"golang.zx2c4.com/wireguard/wgctrl/wgtypes"

	"github.com/devenv-dev/devenv/vpn/hub"
	"github.com/devenv-dev/devenv/vpn/hubapi"
	"github.com/devenv-dev/devenv/vpn/hubclient"
)

// enrollCmd is the first argument of the copy of hubload that runs inside
// the hub's namespace.
const enrollCmd = "enroll"

// enrollResult is what the enroll phase reports to its parent.
type enrollResult struct {
	Devices      int             `json:"devices"`
	InviteWall   time.Duration   `json:"invite_wall"`   // all invites, one after the other
	Invites      []time.Duration `json:"invites"`       // each CreateInvite call
	Latencies    []time.Duration `json:"latencies"`     // each successful Enroll call
	Handshakes   []time.Duration `json:"handshakes"`    // of those: call start to TLS handshake done
	Answers      []time.Duration `json:"answers"`       // of those: request written to first answer byte
	Wall         time.Duration   `json:"wall"`          // first call sent to last answer
	Errors       int             `json:"errors"`        // failed Enroll calls
	ErrorSamples []string        `json:"error_samples"` // up to 5 distinct messages
	Distinct     int             `json:"distinct"`      // distinct addresses handed out
	Outside      int             `json:"outside"`       // addresses outside the network
}

// runEnroll creates one invite per device through the admin socket, then
// enrolls every device at once, each with its own key and its own client
// (so its own TCP and TLS connection, as separate machines would have),
// and writes an enrollResult to stdout.
func runEnroll(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("hubload enroll", flag.ContinueOnError)
	data := fs.String("data", "", "the hub's data directory (for its admin socket)")
	url := fs.String("url", "", "the hub's API, e.g. https://127.0.0.1:8443")
	user := fs.String("user", "", "the user the devices belong to")
	n := fs.Int("devices", 1000, "devices to enroll at once")
	if err := fs.Parse(args); err != nil {
		return err
	}
	res := enrollResult{Devices: *n}
	invites, err := createInvites(ctx, hub.NewAdminClient(*data), *user, *n, &res)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "created %d invites in %v; enrolling %d devices at once\n", *n, res.InviteWall.Round(time.Millisecond), *n)
	if err := enrollAll(ctx, *url, invites, &res); err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(res)
}

func createInvites(ctx context.Context, admin *hub.AdminClient, user string, n int, res *enrollResult) ([]hubapi.Invite, error) {
	invites := make([]hubapi.Invite, n)
	start := time.Now()
	for i := range invites {
		t := time.Now()
		inv, err := admin.CreateInvite(ctx, hub.InviteOptions{User: user, TTL: time.Hour})
		if err != nil {
			return nil, fmt.Errorf("creating invite %d: %w", i+1, err)
		}
		res.Invites = append(res.Invites, time.Since(t))
		if invites[i], err = hubapi.ParseInvite(inv.Invite); err != nil {
			return nil, fmt.Errorf("reading invite %d: %w", i+1, err)
		}
	}
	res.InviteWall = time.Since(start)
	return invites, nil
}

// device is one enrolling client, ready before the clock starts.
type device struct {
	client *hubclient.Client
	req    hubapi.EnrollRequest
	took   time.Duration
	resp   hubapi.EnrollResponse
	err    error
	// Instants of the call, in ns after its start; set from the HTTP
	// transport's goroutines.
	tlsDone, wrote, answered atomic.Int64
}

// enroll makes the call and records where its time went.
func (d *device) enroll(ctx context.Context) {
	start := time.Now()
	mark := func(v *atomic.Int64) { v.Store(int64(time.Since(start))) }
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		TLSHandshakeDone:     func(tls.ConnectionState, error) { mark(&d.tlsDone) },
		WroteRequest:         func(httptrace.WroteRequestInfo) { mark(&d.wrote) },
		GotFirstResponseByte: func() { mark(&d.answered) },
	})
	d.resp, d.err = d.client.Enroll(ctx, d.req)
	d.took = time.Since(start)
	d.client.Close()
}

// enrollAll prepares every device (key, client), releases them together
// and waits for all answers.
func enrollAll(ctx context.Context, url string, invites []hubapi.Invite, res *enrollResult) error {
	devs := make([]*device, len(invites))
	for i, inv := range invites {
		key, err := wgtypes.GeneratePrivateKey()
		if err != nil {
			return fmt.Errorf("generating a key: %w", err)
		}
		devs[i] = &device{
			client: hubclient.New(url, inv.Fingerprint, ""),
			req:    hubapi.EnrollRequest{Secret: inv.Secret, Name: fmt.Sprintf("load-%04d", i), PublicKey: key.PublicKey().String()},
		}
	}
	var wg sync.WaitGroup
	ready, gate := sync.WaitGroup{}, make(chan struct{})
	for _, d := range devs {
		wg.Add(1)
		ready.Add(1)
		go func() {
			defer wg.Done()
			ready.Done()
			<-gate
			d.enroll(ctx)
		}()
	}
	ready.Wait()
	start := time.Now()
	close(gate)
	wg.Wait()
	res.Wall = time.Since(start)
	return summarize(devs, res)
}

func summarize(devs []*device, res *enrollResult) error {
	seen := map[string]bool{}
	addrs := map[netip.Addr]bool{}
	var network netip.Prefix
	for _, d := range devs {
		if d.err != nil {
			res.Errors++
			if msg := d.err.Error(); !seen[msg] && len(seen) < 5 {
				seen[msg] = true
				res.ErrorSamples = append(res.ErrorSamples, msg)
			}
			continue
		}
		res.Latencies = append(res.Latencies, d.took)
		res.Handshakes = append(res.Handshakes, time.Duration(d.tlsDone.Load()))
		res.Answers = append(res.Answers, time.Duration(d.answered.Load()-d.wrote.Load()))
		p, err := netip.ParsePrefix(d.resp.Address)
		if err != nil {
			return fmt.Errorf("the hub gave device %s the address %q: %w", d.req.Name, d.resp.Address, err)
		}
		if network, err = netip.ParsePrefix(d.resp.Network); err != nil {
			return fmt.Errorf("the hub gave the network %q: %w", d.resp.Network, err)
		}
		addrs[p.Addr()] = true
		if !network.Contains(p.Addr()) {
			res.Outside++
		}
	}
	res.Distinct = len(addrs)
	return nil
}
