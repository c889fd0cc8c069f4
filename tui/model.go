package tui

import (
	"context"
	"time"

	"charm.land/bubbles/v2/help"
	tea "charm.land/bubbletea/v2"

	"github.com/devenv-dev/devenv/env"
)

// Tabs of the root model; panels follow from tabPanels on.
const (
	tabServices = iota
	tabLogs
	tabPanels
)

// Model is the root of the UI: the tab bar, the services and logs tabs,
// the panels, the status line and the help bar.
type Model struct {
	opts   Options
	rt     *runtimeState // non-nil
	width  int
	height int
	tab    int
	panels []Panel
	svc    services
	logs   logView
	help   help.Model
	global globalKeys
	acts   actionKeys

	engineErr error         // non-nil while the engine cannot be reached
	retry     time.Duration // the bridge's next delay while it cannot

	status    string  // the last message of the status line
	statusBad bool    // status is an error
	confirm   *action // asked, waiting for y or n
	busy      *action // running
	progress  []env.Event

	inflight map[string]bool // container IDs being re-read
	again    map[string]bool // re-read once more when the read in flight ends

	lastKey   time.Time // when a key was last pressed (zero: never, since the start)
	statsGen  int       // the current stats loop; ticks of older loops are dropped
	clockGen  int       // the current uptime tick; older ones are dropped
	clockDue  time.Time
	panelSize [][2]int // the size each panel was last given

	tick func(time.Duration, func(time.Time) tea.Msg) tea.Cmd // Tick under rt.ctx; tests see the delays asked for
}

// New returns the root model. Run wires it to a program; tests drive it
// through Update. Everything the model starts (engine calls, log follows,
// actions, the panels' calls) runs under ctx and ends with it.
func New(ctx context.Context, opts Options) *Model {
	opts = opts.withDefaults()
	h := help.New()
	m := &Model{
		opts:      opts,
		rt:        &runtimeState{ctx: ctx, send: func(tea.Msg) {}},
		panels:    append([]Panel(nil), opts.Panels...),
		panelSize: make([][2]int, len(opts.Panels)),
		svc:       newServices(opts.Project),
		logs:      newLogView(opts.LogLines),
		help:      h,
		global:    newGlobalKeys(),
		acts:      newActionKeys(),
		inflight:  map[string]bool{},
		again:     map[string]bool{},
		lastKey:   opts.Now(), // opening the UI counts as using it
	}
	m.tick = func(d time.Duration, fn func(time.Time) tea.Msg) tea.Cmd { return Tick(ctx, d, fn) }
	return m
}

// Init gives the panels the UI's context and starts their first loads.
// The services load when the engine bridge says the engine answers
// (engineUpMsg).
func (m *Model) Init() tea.Cmd {
	var cmds []tea.Cmd
	for i, p := range m.panels {
		var cmd tea.Cmd
		m.panels[i], cmd = p.Init(m.rt.ctx)
		cmds = append(cmds, cmd)
	}
	return tea.Batch(cmds...)
}

// Update handles one message.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	var wake tea.Cmd
	if _, ok := msg.(tea.KeyPressMsg); ok {
		wake = m.touched()
	}
	cmd := m.update(msg)
	m.layout()
	return m, tea.Batch(wake, cmd, m.scheduleClock())
}

// touched records a key press. The first key after the UI went idle
// samples CPU and memory at once instead of at the idle pace.
func (m *Model) touched() tea.Cmd {
	now := m.opts.Now()
	wasIdle := m.idle(now)
	m.lastKey = now
	if wasIdle {
		return m.startStats()
	}
	return nil
}

// idle reports that nobody has pressed a key for IdleAfter: the UI is
// left open on a screen, and samples at the idle pace.
func (m *Model) idle(now time.Time) bool { return now.Sub(m.lastKey) >= m.opts.IdleAfter }

func (m *Model) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		return nil
	case tea.KeyPressMsg:
		return m.key(msg)
	case engineUpMsg:
		return m.onEngineUp()
	case engineDownMsg:
		m.engineErr, m.retry = msg.err, msg.retry
		return nil
	case psMsg:
		return m.onPs(msg)
	case containerEventMsg:
		return m.onEvent(msg.ev)
	case statusMsg:
		return m.onStatus(msg)
	case statsTickMsg:
		return m.onStatsTick(msg)
	case statsMsg:
		return m.onStats(msg)
	case clockMsg:
		if msg.gen == m.clockGen {
			m.clockDue = time.Time{}
		}
		return nil
	case progressMsg:
		m.onProgress(msg.ev)
		return nil
	case actionDoneMsg:
		return m.onActionDone(msg)
	case logBatchMsg:
		return m.onLogBatch(msg)
	case execDoneMsg:
		m.onExecDone(msg)
		return nil
	case openDoneMsg:
		if msg.err != nil {
			m.setStatus(msg.err.Error(), true)
		} else {
			m.setStatus("opened "+msg.url, false)
		}
		return nil
	}
	return m.toPanels(msg)
}

// toPanels gives a message that is not the root's to every panel.
func (m *Model) toPanels(msg tea.Msg) tea.Cmd {
	var cmds []tea.Cmd
	for i, p := range m.panels {
		var cmd tea.Cmd
		m.panels[i], cmd = p.Update(msg)
		cmds = append(cmds, cmd)
	}
	return tea.Batch(cmds...)
}

func (m *Model) setStatus(s string, bad bool) {
	m.status, m.statusBad = s, bad
}
