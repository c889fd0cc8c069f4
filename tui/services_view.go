package tui

import (
	"strings"
	"time"

	"github.com/devenv-dev/devenv/internal/format"

	"github.com/charmbracelet/x/ansi"
)

// column is one column of the services table.
type column struct {
	title string
	min   int  // never narrower (the title's width at least)
	flex  bool // takes a share of the spare width, and gives it up first
	cell  func(r row, st *sample, now time.Time) string
}

var columns = []column{
	{title: "SERVICE", min: 7, cell: func(r row, _ *sample, _ time.Time) string { return r.Service }},
	{title: "STATE", min: 7, cell: func(r row, _ *sample, _ time.Time) string { return r.stateText() }},
	{title: "HEALTH", min: 6, cell: func(r row, _ *sample, _ time.Time) string { return r.healthText() }},
	{title: "PORTS", min: 5, flex: true, cell: func(r row, _ *sample, _ time.Time) string { return format.OrDash(format.Ports(r.Ports)) }},
	{title: "IMAGE", min: 5, flex: true, cell: func(r row, _ *sample, _ time.Time) string { return r.imageText() }},
	{title: "UPTIME", min: 6, cell: func(r row, _ *sample, now time.Time) string { return uptimeText(r, now) }},
	{title: "CPU", min: 5, cell: func(_ row, st *sample, _ time.Time) string { return cpuText(st) }},
	{title: "MEM", min: 6, cell: func(_ row, st *sample, _ time.Time) string { return memText(st) }},
	{title: "WHY", min: 3, flex: true, cell: func(r row, _ *sample, _ time.Time) string { return r.why() }},
}

const gap = 1 // spaces between columns; the marker column is 2 wide

// layout gives each column a width for the rows on screen: fixed columns
// their content's width, flexible ones what is left, in order.
func layout(width int, cells [][]string) []int {
	widths := make([]int, len(columns))
	used := 2
	for i, c := range columns {
		w := max(c.min, ansi.StringWidth(c.title))
		for _, r := range cells {
			w = max(w, ansi.StringWidth(r[i]))
		}
		widths[i] = w
		if !c.flex {
			used += w + gap
		}
	}
	spare := width - used
	for i, c := range columns {
		if !c.flex {
			continue
		}
		want := widths[i]
		if c.title == "WHY" {
			want = max(spare, 0) // the last column takes the rest
		}
		w := min(want, spare-gap)
		if w < c.min {
			w = 0 // does not fit: left out
		}
		widths[i] = w
		if w > 0 {
			spare -= w + gap
		}
	}
	return widths
}

// view draws the table into s.width x s.height.
func (s *services) view(now time.Time) string {
	if !s.loaded {
		return fill("Reading the project's containers…", s.width, s.height)
	}
	if len(s.shown) == 0 {
		msg := "No services in this project."
		if s.filter.Value() != "" {
			msg = "No service matches the filter (esc clears it)."
		}
		return fill(msg, s.width, s.height)
	}
	screen := s.onScreen()
	cells := make([][]string, len(screen))
	for i, r := range screen {
		cells[i] = make([]string, len(columns))
		for j, c := range columns {
			cells[i][j] = c.cell(r, s.stats[r.ID], now)
		}
	}
	widths := layout(s.width, cells)
	var b strings.Builder
	header := make([]string, len(columns))
	for i, c := range columns {
		header[i] = c.title
	}
	b.WriteString(styleHeader.Render(FitLine("  "+joinCells(header, widths), s.width)))
	for i, r := range screen {
		b.WriteByte('\n')
		marker := "  "
		if s.offset+i == s.cursor {
			marker = "> "
		}
		line := FitLine(marker+joinCells(cells[i], widths), s.width)
		if s.offset+i == s.cursor {
			line = styleSelected.Render(line)
		} else if r.State != "running" {
			line = styleDim.Render(line)
		}
		b.WriteString(line)
	}
	for i := len(screen) + 1; i < s.height; i++ {
		b.WriteByte('\n')
	}
	return b.String()
}

// joinCells pads each cell to its column's width; a zero width leaves the
// column out.
func joinCells(cells []string, widths []int) string {
	var b strings.Builder
	for i, c := range cells {
		if widths[i] == 0 {
			continue
		}
		if b.Len() > 0 {
			b.WriteString(strings.Repeat(" ", gap))
		}
		b.WriteString(pad(ansi.Truncate(c, widths[i], "…"), widths[i]))
	}
	return strings.TrimRight(b.String(), " ")
}

// fill puts a message on the first line of an otherwise empty w x h area.
func fill(msg string, w, h int) string {
	lines := make([]string, max(h, 1))
	lines[0] = FitLine("  "+msg, w)
	return strings.Join(lines, "\n")
}
