package main

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"sync"
	"time"
)

// Log lines are written in batches: at info every request writes one, and
// a write(2) per line was a tenth of a token request's CPU. A line waits
// at most --log-flush-interval, or until logBufferSize bytes are waiting;
// warnings and errors go out at once.
const logBufferSize = 32 << 10

// bufferedLog is a log destination that batches lines in memory. Lines
// are never torn: the JSON and text handlers write each line with one
// Write, and a line larger than the buffer goes straight through.
type bufferedLog struct {
	mu   sync.Mutex
	w    *bufio.Writer
	stop chan struct{}
	done chan struct{}
}

// newBufferedLog batches writes to w, flushing at least every interval.
func newBufferedLog(w io.Writer, every time.Duration) *bufferedLog {
	b := &bufferedLog{w: bufio.NewWriterSize(w, logBufferSize), stop: make(chan struct{}), done: make(chan struct{})}
	go b.flushLoop(every)
	return b
}

func (b *bufferedLog) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(p) > b.w.Available() {
		if err := b.w.Flush(); err != nil {
			return 0, err
		}
	}
	return b.w.Write(p)
}

// Flush writes out what is buffered.
func (b *bufferedLog) Flush() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.w.Flush()
}

func (b *bufferedLog) flushLoop(every time.Duration) {
	defer close(b.done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-b.stop:
			return
		case <-t.C:
			b.Flush()
		}
	}
}

// Close stops the flushing goroutine and flushes the rest.
func (b *bufferedLog) Close() error {
	close(b.stop)
	<-b.done
	return b.Flush()
}

// flushingHandler flushes the buffer after every record at warn or above,
// so that what matters most is never held back, even if the process then
// dies.
type flushingHandler struct {
	slog.Handler
	buf *bufferedLog
}

func (h flushingHandler) Handle(ctx context.Context, r slog.Record) error {
	err := h.Handler.Handle(ctx, r)
	if r.Level >= slog.LevelWarn {
		h.buf.Flush()
	}
	return err
}

func (h flushingHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return flushingHandler{h.Handler.WithAttrs(as), h.buf}
}

func (h flushingHandler) WithGroup(name string) slog.Handler {
	return flushingHandler{h.Handler.WithGroup(name), h.buf}
}
