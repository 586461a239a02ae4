package main

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is a destination the test reads while the flusher writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestBufferedLog: info lines wait for the batch, a warning takes them all
// out at once, the ticker empties the buffer by itself, a line larger
// than the buffer is written whole, and Close leaves nothing behind.
func TestBufferedLog(t *testing.T) {
	var out lockedBuffer
	buf := newBufferedLog(&out, 50*time.Millisecond)
	log := slog.New(flushingHandler{slog.NewJSONHandler(buf, nil), buf})

	log.Info("request", "n", 1) // may wait for the flusher
	log.Warn("something odd", "n", 2)
	if s := out.String(); !strings.Contains(s, `"n":1`) || !strings.Contains(s, `"n":2`) {
		t.Fatalf("a warning did not flush the lines before it and itself: %q", s)
	}
	log.Info("request", "n", 3)
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(out.String(), `"n":3`) {
		if time.Now().After(deadline) {
			t.Fatal("the flusher never wrote a buffered line")
		}
		time.Sleep(10 * time.Millisecond)
	}
	big := strings.Repeat("x", 2*logBufferSize)
	log.Info("big", "v", big)
	log.Info("request", "n", 4)
	if err := buf.Close(); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	if !strings.Contains(s, big) || !strings.Contains(s, `"n":4`) {
		t.Fatal("Close lost lines")
	}
	for i, line := range strings.Split(strings.TrimSuffix(s, "\n"), "\n") {
		if !strings.HasPrefix(line, "{") || !strings.HasSuffix(line, "}") {
			t.Errorf("line %d is torn: %.80q", i, line)
		}
	}
}
