package hub

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/devenv-dev/devenv/internal/testutil"
	"github.com/devenv-dev/devenv/vpn/hubapi"
	"github.com/devenv-dev/devenv/vpn/wg"
)

// childEnv makes the test binary a hub process serving the named directory.
const childEnv = "DEVENV_HUB_TEST_CHILD"

// TestHubProcess is the hub process that TestKill9DuringEnrollments kills.
func TestHubProcess(t *testing.T) {
	dir := os.Getenv(childEnv)
	if dir == "" {
		t.Skip("the hub process of TestKill9DuringEnrollments")
	}
	h, err := New(Options{DataDir: dir, Listen: "127.0.0.1:0", NewDevice: func(c wg.Config) (wg.Device, error) {
		return newFakeDevice(c), nil
	}})
	if err != nil {
		fmt.Println("ERROR", err)
		os.Exit(1)
	}
	fmt.Printf("ADDR %s %s\n", h.Addr(), h.Fingerprint())
	h.Serve(context.Background()) // until killed
}

// startChild runs a hub process on dir and returns its API client.
func startChild(t *testing.T, dir string) (*apiClient, *exec.Cmd) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHubProcess$")
	cmd.Env = append(os.Environ(), childEnv+"="+dir)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) == 3 && f[0] == "ADDR" {
			go func() {
				for sc.Scan() { // drain the test framework's output
				}
			}()
			return newAPIClient(f[1], f[2]), cmd
		}
	}
	t.Fatalf("the hub process did not start: %v", sc.Err())
	return nil, nil
}

// burst enrolls devices from several goroutines until the hub process is
// killed once `after` of them succeeded; it returns the successful ones.
func burst(t *testing.T, c *apiClient, cmd *exec.Cmd, secret, prefix string, after int) []hubapi.EnrollResponse {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var (
		mu   sync.Mutex
		ok   []hubapi.EnrollResponse
		seq  atomic.Int64
		kill sync.Once
		wg   sync.WaitGroup
	)
	for range 16 {
		wg.Go(func() {
			for ctx.Err() == nil {
				name := fmt.Sprintf("%s-%d", prefix, seq.Add(1))
				resp, err := c.enroll(ctx, secret, name, newPublicKey(t))
				if err != nil {
					continue
				}
				mu.Lock()
				ok = append(ok, resp)
				n := len(ok)
				mu.Unlock()
				if n >= after {
					// Kill at a random moment, most likely mid-request.
					kill.Do(func() {
						go func() {
							time.Sleep(time.Duration(rand.IntN(2000)) * time.Microsecond) // not an event: a random kill moment is the point
							cmd.Process.Kill()
						}()
					})
				}
			}
		})
	}
	cmd.Wait()
	cancel()
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	return ok
}

func TestKill9DuringEnrollments(t *testing.T) {
	if testing.Short() {
		t.Skip("runs hub processes")
	}
	dir := t.TempDir()
	var enrolled []hubapi.EnrollResponse
	for round := range 3 {
		c, cmd := startChild(t, dir)
		admin := NewAdminClient(dir)
		if round == 0 {
			if _, err := admin.AddUser(t.Context(), "zed", hubapi.RoleDeveloper); err != nil {
				t.Fatal(err)
			}
		}
		inv, err := admin.CreateInvite(t.Context(), InviteOptions{User: "zed", TTL: time.Hour, Uses: 100000})
		if err != nil {
			t.Fatal(err)
		}
		parsed, _ := hubapi.ParseInvite(inv.Invite)
		enrolled = append(enrolled, burst(t, c, cmd, parsed.Secret, fmt.Sprint("r", round), 20+round*13)...)
	}

	th := startHub(t, Options{DataDir: dir})
	live := checkStore(t, th.db)
	byID := map[string]deviceRecord{}
	for _, d := range live {
		byID[d.ID] = d
	}
	for _, e := range enrolled {
		if d, ok := byID[e.DeviceID]; !ok || d.api().Address != e.Address {
			t.Errorf("enrolled device %s (%s) is missing or moved: %+v", e.DeviceID, e.Address, d)
		}
	}
	testutil.Eventually(t, "the live devices re-added as peers", func() bool { return th.dev.numPeers() == len(live) })
	t.Logf("%d enrollments answered 200 before the kills; %d devices in the store", len(enrolled), len(live))
}

// checkStore verifies that the store is consistent: every live device has
// its own address, name, key and token, nothing else is leased, and each
// use of an invite made exactly one device.
func checkStore(t *testing.T, db *bolt.DB) []deviceRecord {
	t.Helper()
	var live []deviceRecord
	err := db.View(func(tx *bolt.Tx) error {
		var err error
		if live, err = liveDevices(tx); err != nil {
			return err
		}
		addrs := map[string]bool{}
		for _, d := range live {
			a, _ := parseAddr(d.Address)
			switch {
			case addrs[d.Address]:
				t.Errorf("address %s is held twice", d.Address)
			case string(tx.Bucket(bucketLeases).Get(a.AsSlice())) != d.ID:
				t.Errorf("device %s has no lease on %s", d.ID, d.Address)
			case string(tx.Bucket(bucketNames).Get(nameKey(d.User, d.Name))) != d.ID,
				string(tx.Bucket(bucketKeys).Get([]byte(d.PublicKey))) != d.ID,
				string(tx.Bucket(bucketTokens).Get([]byte(d.TokenHash))) != d.ID:
				t.Errorf("device %s lacks its name, key or token", d.ID)
			}
			addrs[d.Address] = true
		}
		for _, b := range [][]byte{bucketLeases, bucketNames, bucketKeys, bucketTokens} {
			if n := tx.Bucket(b).Stats().KeyN; n != len(live) {
				t.Errorf("bucket %s has %d keys for %d devices", b, n, len(live))
			}
		}
		used := 0
		err = tx.Bucket(bucketInvites).ForEach(func(_, v []byte) error {
			var inv inviteRecord
			err := json.Unmarshal(v, &inv)
			used += inv.Used
			return err
		})
		if used != len(live) {
			t.Errorf("invites were used %d times for %d devices", used, len(live))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return live
}
