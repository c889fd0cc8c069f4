package env

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
)

// processHolding names the local process listening on port, when the
// platform lets us see it (Linux /proc); otherwise "another process".
func processHolding(port uint16, proto string) string {
	const unknown = "another process"
	if runtime.GOOS != "linux" {
		return unknown
	}
	inodes := socketInodes(port, proto)
	if len(inodes) == 0 {
		return unknown
	}
	procs, _ := filepath.Glob("/proc/[0-9]*/fd/*")
	for _, fd := range procs {
		link, err := os.Readlink(fd)
		if err != nil || !strings.HasPrefix(link, "socket:[") {
			continue
		}
		if !inodes[strings.TrimSuffix(strings.TrimPrefix(link, "socket:["), "]")] {
			continue
		}
		pidDir := filepath.Dir(filepath.Dir(fd))
		comm, _ := os.ReadFile(filepath.Join(pidDir, "comm"))
		return fmt.Sprintf("process %s (pid %s)", strings.TrimSpace(string(comm)), filepath.Base(pidDir))
	}
	return unknown
}

// socketInodes returns the inodes of listening (tcp) or bound (udp) sockets on port.
func socketInodes(port uint16, proto string) map[string]bool {
	files := []string{"/proc/net/tcp", "/proc/net/tcp6"}
	if proto == "udp" {
		files = []string{"/proc/net/udp", "/proc/net/udp6"}
	}
	out := map[string]bool{}
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(fh)
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			if len(fields) < 10 {
				continue
			}
			local := fields[1]
			i := strings.LastIndexByte(local, ':')
			if i < 0 {
				continue
			}
			p, err := strconv.ParseUint(local[i+1:], 16, 16)
			if err != nil || uint16(p) != port {
				continue
			}
			if proto != "udp" && fields[3] != "0A" { // 0A = LISTEN
				continue
			}
			out[fields[9]] = true
		}
		fh.Close()
	}
	return out
}
