// Package audit records who did what: every mutating call writes an event
// in the same transaction as its change, so an event exists exactly when
// the change does. Refused calls are recorded too, after the rollback.
package audit

import (
	"context"
	"log/slog"
	"time"

	"github.com/gatehouse/gatehouse/internal/failure"
	"github.com/gatehouse/gatehouse/internal/idgen"
	"github.com/gatehouse/gatehouse/internal/storage"
)

// Actor types.
const (
	ActorAPIClient = "api_client"
	ActorUser      = "user"
	ActorSystem    = "system"
)

// Actor is who makes a call, and from where.
type Actor struct {
	Type      string
	ID        string
	SourceIP  string
	UserAgent string
}

// System is the actor of the CLI and of startup bootstrap.
var System = Actor{Type: ActorSystem, ID: "gatehouse", SourceIP: "local"}

// Target is what an action touches.
type Target struct {
	Type string
	ID   string
}

// Recorder writes audit events.
type Recorder struct {
	Store storage.Store
	Now   func() time.Time
	Log   *slog.Logger
}

// Event builds an event; detail must hold no secret.
func (r *Recorder) Event(tenantID string, a Actor, action string, t Target, result, detail string) *storage.AuditEvent {
	now := r.Now()
	return &storage.AuditEvent{
		TenantID: tenantID, ID: idgen.New(now), Time: now,
		ActorType: a.Type, ActorID: a.ID, SourceIP: a.SourceIP, UserAgent: truncate(a.UserAgent, 256),
		Action: action, TargetType: t.Type, TargetID: t.ID, Result: result, Detail: truncate(detail, 512),
	}
}

// Do runs change in a transaction together with a success event for it. If
// change fails, the transaction rolls back and a failure event naming the
// error code is written on its own. change may set the target's id once
// known (for creates) through the pointer it receives.
func (r *Recorder) Do(ctx context.Context, tenantID string, a Actor, action string, t Target,
	change func(tx storage.Repos, t *Target) error) error {
	err := r.Store.InTx(ctx, func(tx storage.Repos) error {
		if err := change(tx, &t); err != nil {
			return err
		}
		return tx.Audit().Append(ctx, r.Event(tenantID, a, action, t, storage.ResultSuccess, ""))
	})
	if err != nil {
		detail := "internal error"
		if f, ok := failure.As(err); ok {
			detail = f.Code
		}
		if aerr := r.Store.Audit().Append(context.WithoutCancel(ctx), r.Event(tenantID, a, action, t, storage.ResultFailure, detail)); aerr != nil {
			r.Log.Error("audit: cannot record failure", "action", action, "err", aerr)
		}
	}
	return err
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
