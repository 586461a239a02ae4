package web

import (
	"errors"
	"net/http"

	"github.com/gatehouse/gatehouse/internal/authn"
	"github.com/gatehouse/gatehouse/internal/storage"
)

// CurrentUser returns the browser's live SSO session and its enabled user,
// or nils when there is none (a session whose user was disabled or
// deleted is ended here). Every protocol reads the session this way. The
// session and its user are read in one query (authn.Sessions.LookupWithUser),
// on every request: nothing is cached, so a disabled user is refused at
// once. (store is kept for the callers; the session store reads both.)
func CurrentUser(r *http.Request, sessions *authn.Sessions, store storage.Store, tenantID string) (*storage.Session, *storage.User, error) {
	return currentUser(r, sessions, tenantID, true)
}

// CurrentUserWithoutOrgs is CurrentUser with the user read without its
// organisation memberships (storage.UserRepo.GetWithoutOrgs), a query
// fewer, for callers that do not read them (see apps.NeedsOrgs).
func CurrentUserWithoutOrgs(r *http.Request, sessions *authn.Sessions, store storage.Store, tenantID string) (*storage.Session, *storage.User, error) {
	return currentUser(r, sessions, tenantID, false)
}

func currentUser(r *http.Request, sessions *authn.Sessions, tenantID string, orgs bool) (*storage.Session, *storage.User, error) {
	ck, err := r.Cookie(SessionCookie)
	if err != nil {
		return nil, nil, nil
	}
	// The session and its user in one query.
	sess, u, err := sessions.LookupWithUser(r.Context(), tenantID, ck.Value, orgs)
	if errors.Is(err, authn.ErrNoSession) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	if u == nil || u.Disabled {
		sessions.End(r.Context(), tenantID, ck.Value)
		return nil, nil, nil
	}
	return sess, u, nil
}

// EndSession ends the browser's SSO session and clears its cookie.
func EndSession(w http.ResponseWriter, r *http.Request, sessions *authn.Sessions, tenantID string, secure bool) {
	if ck, err := r.Cookie(SessionCookie); err == nil {
		sessions.End(r.Context(), tenantID, ck.Value)
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: secure, SameSite: http.SameSiteLaxMode})
}
