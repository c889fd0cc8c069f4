package vpnview

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/devenv-dev/devenv/internal/format"
	"github.com/devenv-dev/devenv/tui"
	"github.com/devenv-dev/devenv/vpn"
)

// handshakeFresh is how old the last handshake with the hub may be for the
// node to count as connected: WireGuard renews it every two minutes while
// packets flow (the keepalive makes them flow) and drops a session after three.
const handshakeFresh = 3 * time.Minute

var (
	styleGood   = lipgloss.NewStyle().Foreground(lipgloss.Color("2")).Bold(true)
	styleWarn   = lipgloss.NewStyle().Foreground(lipgloss.Color("3"))
	styleBad    = lipgloss.NewStyle().Foreground(lipgloss.Color("1"))
	styleFaint  = lipgloss.NewStyle().Faint(true)
	styleHeader = lipgloss.NewStyle().Bold(true)
)

// View renders the panel into its size: the body, scrolled, and a line
// at the bottom for a question or an action's outcome.
func (m Model) View() string {
	if m.width <= 0 || m.height <= 0 {
		return ""
	}
	body := m.body(m.now())
	foot := m.footer()
	rows := m.bodyHeight()
	off := min(m.offset, max(len(body)-rows, 0))
	body = body[off:min(off+rows, len(body))]
	for len(body) < rows {
		body = append(body, "")
	}
	if foot != "" {
		body = append(body, foot)
	}
	return tui.Fit(body, m.width, m.height)
}

// bodyHeight is the height left for the body under the footer.
func (m Model) bodyHeight() int {
	if m.footer() != "" {
		return max(m.height-1, 0)
	}
	return m.height
}

func (m Model) maxOffset() int { return max(len(m.body(m.now()))-m.bodyHeight(), 0) }

func (m Model) footer() string {
	switch {
	case m.confirm == actionUp:
		return styleWarn.Render("bring the vpn up? y confirms, n cancels")
	case m.confirm == actionDown:
		return styleWarn.Render("bring the vpn down? the node stops; y confirms, n cancels")
	case m.running != actionNone:
		return styleFaint.Render("vpn " + m.running.String() + "…")
	case m.noteBad:
		return styleBad.Render(m.note)
	}
	return m.note
}

// body is every line of the panel's content.
func (m Model) body(now time.Time) []string {
	switch {
	case errors.Is(m.err, vpn.ErrNotJoined):
		return []string{
			styleFaint.Render("○") + " not joined: this machine is on no network yet",
			"",
			"next: devenv vpn join - (paste the invite), then devenv vpn up",
			styleFaint.Render("an admin makes an invite with devenv hub invite create"),
		}
	case !m.loaded && m.err == nil:
		return []string{styleFaint.Render("reading the vpn status…")}
	case !m.loaded:
		return []string{styleBad.Render("cannot read the vpn status: " + m.err.Error()), "", "R reads it again"}
	}
	lines := []string{m.headline(now)}
	if m.err != nil {
		lines = append(lines, styleBad.Render(fmt.Sprintf("cannot read the status now (%v); shown as of %s ago",
			m.err, format.Age(now.Sub(m.readAt)))))
	}
	lines = append(lines, "")
	lines = append(lines, m.fields()...)
	lines = append(lines, peerLines(m.status.Peers, now)...)
	return append(lines, deviceLines(m.status.Devices)...)
}

// headline says in a word whether the node is connected, and what to do
// when it is not.
func (m Model) headline(now time.Time) string {
	s := m.status
	switch {
	case s.Revoked:
		return styleBad.Render("✕ revoked") + " by an admin: devenv vpn leave, then join again with a new invite"
	case !s.Up:
		return styleFaint.Render("○ down") + ": u or devenv vpn up brings it up"
	}
	last := lastHandshake(s.Peers)
	switch {
	case !last.IsZero() && now.Sub(last) < handshakeFresh:
		return styleGood.Render("● connected") + fmt.Sprintf(" on %s (%s)", s.Interface, s.Backend)
	case last.IsZero():
		return styleWarn.Render("◌ up") + ", no handshake with the hub yet"
	}
	return styleWarn.Render("◌ up") + ", last handshake with the hub " + format.Age(now.Sub(last)) + " ago"
}

func lastHandshake(ps []vpn.PeerStatus) time.Time {
	var last time.Time
	for _, p := range ps {
		if p.LastHandshake.After(last) {
			last = p.LastHandshake
		}
	}
	return last
}

// labelWidth is the width of the fields' labels, space included.
const labelWidth = 10

// fields are the node's labelled facts.
func (m Model) fields() []string {
	s := m.status
	name := s.Name
	if s.User != "" {
		name += " (" + s.User + ")"
	}
	rows := [][2]string{
		{"device", name},
		{"address", strings.TrimSuffix(s.Address, "/32") + " on " + s.Network},
		{"hub", s.Hub + " (WireGuard " + format.OrDash(s.HubEndpoint) + ")"},
	}
	if s.HubError != "" {
		msg := ansi.Wrap("not answering: "+s.HubError+"; retrying by itself", max(m.width-labelWidth, 20), " ")
		for l := range strings.SplitSeq(msg, "\n") {
			rows = append(rows, [2]string{"", styleBad.Render(l)})
		}
	}
	if s.Up {
		rows = append(rows, [2]string{"backend", fmt.Sprintf("%s on %s, network map %d", s.Backend, s.Interface, s.NetMapVersion)})
	}
	if s.SOCKS != "" {
		rows = append(rows, [2]string{"socks5", s.SOCKS})
	}
	for _, f := range s.Forwards {
		rows = append(rows, [2]string{"forward", f.Listen + " → " + f.Target})
	}
	lines := make([]string, len(rows))
	for i, r := range rows {
		lines[i] = styleFaint.Render(fmt.Sprintf("%-*s", labelWidth, r[0])) + r[1]
	}
	return lines
}

func peerLines(ps []vpn.PeerStatus, now time.Time) []string {
	if len(ps) == 0 {
		return nil
	}
	rows := [][]string{{"PEER", "ENDPOINT", "HANDSHAKE", "RX", "TX"}}
	for _, p := range ps {
		rows = append(rows, []string{"hub " + format.ShortKey(p.PublicKey), format.OrDash(p.Endpoint), format.Ago(p.LastHandshake, now),
			format.Bytes(p.RxBytes), format.Bytes(p.TxBytes)})
	}
	return append([]string{""}, table(rows)...)
}

func deviceLines(ds []vpn.DeviceEntry) []string {
	if len(ds) == 0 {
		return nil
	}
	rows := [][]string{{fmt.Sprintf("DEVICES (%d)", len(ds)), "USER", "ADDRESS"}}
	for _, d := range ds {
		rows = append(rows, []string{d.Name, format.OrDash(d.User), strings.TrimSuffix(d.Address, "/32")})
	}
	return append([]string{""}, table(rows)...)
}

// table aligns rows in columns two spaces apart; the first row is the
// header.
func table(rows [][]string) []string {
	out := tui.Columns(rows)
	if len(out) > 0 {
		out[0] = styleHeader.Render(out[0])
	}
	return out
}
