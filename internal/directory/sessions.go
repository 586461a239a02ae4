package directory

import (
	"context"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/storage"
)

// ListSessions returns the user's live SSO sessions, oldest first: an
// administrator's view of where the user is signed in.
func (s *Users) ListSessions(ctx context.Context, tenantID, userID string) ([]storage.Session, error) {
	if _, err := s.Store.Users().GetWithoutOrgs(ctx, tenantID, userID); err != nil {
		return nil, notFoundUser(err)
	}
	all, err := s.Store.Sessions().ListForUser(ctx, tenantID, userID)
	if err != nil {
		return nil, err
	}
	now := s.Now()
	live := all[:0]
	for _, x := range all {
		if now.Before(x.ExpiresAt) && (s.SessionIdle <= 0 || now.Sub(x.LastSeen) < s.SessionIdle) {
			live = append(live, x)
		}
	}
	return live, nil
}

// EndSessions signs the user out everywhere: every SSO session ends (the
// applications that take back-channel logout are told, SessionsEnded),
// audited as user.sessions.end. It returns how many sessions were stored.
func (s *Users) EndSessions(ctx context.Context, tenantID string, a audit.Actor, userID string) (int, error) {
	var sids []string
	err := s.Audit.Do(ctx, tenantID, a, "user.sessions.end", userTarget(userID), func(tx storage.Repos, _ *audit.Target) error {
		if _, err := tx.Users().GetWithoutOrgs(ctx, tenantID, userID); err != nil {
			return notFoundUser(err)
		}
		var err error
		sids, err = tx.Sessions().DeleteForUser(ctx, tenantID, userID)
		return err
	})
	if err != nil {
		return 0, err
	}
	s.sessionsEnded(ctx, tenantID, sids)
	return len(sids), nil
}
