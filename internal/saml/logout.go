package saml

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/beevik/etree"
	"github.com/crewjam/saml"

	"github.com/gatehouse/gatehouse/internal/apps"
	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/storage"
	"github.com/gatehouse/gatehouse/internal/tenant"
	"github.com/gatehouse/gatehouse/internal/web"
)

// Front-channel single logout (SAML Profiles 4.4): once Gatehouse has
// ended the session, the browser visits every other service provider the
// session signed in to, one after another, with a LogoutRequest; each
// answers with a LogoutResponse to /slo, which sends the browser on to the
// next; at the end, the service provider that asked gets its
// LogoutResponse, or the browser goes where the logout that started the
// round said (OIDC and OneAccess logout, see LogoutRound), or the user
// sees a "signed out" page. What remains to do
// travels sealed in the ID of each LogoutRequest, which the service
// provider echoes as InResponseTo: nothing is stored, and RelayState's 80
// bytes are not needed.

// sloState is a logout on its way through the service providers.
type sloState struct {
	TenantID string      `json:"t"`
	Queue    []sloTarget `json:"q,omitempty"` // still to visit, next first
	Current  string      `json:"c,omitempty"` // application just sent a LogoutRequest
	Reply    *sloReply   `json:"r,omitempty"` // who asked, to answer at the end
	// Next is where the browser goes at the end when no service provider
	// asked: a URL the logout that started the round validated (an OIDC
	// post_logout_redirect_uri with its state, a registered redirect_url).
	// Only LogoutRound sets it, and it travels sealed.
	Next    string `json:"n,omitempty"`
	Partial bool   `json:"p,omitempty"` // some service provider did not confirm
	Expires int64  `json:"e"`
}

// sloTarget is one service provider's part of the session.
type sloTarget struct {
	App    string `json:"a"`
	NameID string `json:"n"`
	Format string `json:"f"`
	Index  string `json:"i"`
}

// sloReply is the LogoutRequest Gatehouse answers at the end.
type sloReply struct {
	App        string `json:"a"`
	RequestID  string `json:"i"`
	RelayState string `json:"r,omitempty"`
}

const (
	sloContext = "saml-slo"
	// sloStepLifetime bounds one service provider's turn.
	sloStepLifetime = 10 * time.Minute
)

// endSessions ends SSO sessions (their OIDC and CAS state goes with
// them) and returns the other service providers they had signed in to.
func (s *Server) endSessions(r *http.Request, tenantID string, sids []string, except string) []sloTarget {
	ctx := r.Context()
	var out []sloTarget
	for _, sid := range sids {
		rows, err := s.Store.SAMLSessions().ListForSession(ctx, tenantID, sid)
		if err != nil {
			s.Log.ErrorContext(ctx, "saml: logout: session's service providers", "err", err)
		}
		userID := ""
		for _, row := range rows {
			userID = row.UserID
			if row.ApplicationID != except {
				out = append(out, sloTarget{App: row.ApplicationID, NameID: row.NameID, Format: row.NameIDFormat, Index: row.SessionIndex})
			}
		}
		s.endSession(ctx, tenantID, sid)
		s.record(r, tenantID, s.actor(r, userID), "logout", audit.Target{Type: "session", ID: sid}, storage.ResultSuccess, "saml")
	}
	return out
}

func (s *Server) endSession(ctx context.Context, tenantID, sid string) {
	if err := s.Sessions.EndSID(ctx, tenantID, sid); err != nil {
		s.Log.ErrorContext(ctx, "saml: logout: session", "err", err)
	}
	if err := s.Store.CASTickets().DeleteForSession(ctx, tenantID, sid); err != nil {
		s.Log.ErrorContext(ctx, "saml: logout: CAS tickets", "err", err)
	}
	if err := s.Store.SAMLSessions().DeleteForSession(ctx, tenantID, sid); err != nil {
		s.Log.ErrorContext(ctx, "saml: logout: service providers", "err", err)
	}
	if s.OnSessionEnd != nil {
		s.OnSessionEnd(ctx, tenantID, sid)
	}
}

// maxNext bounds LogoutRound's next: the round's state travels in every
// LogoutRequest's ID, often in a URL.
const maxNext = 8 << 10

// LogoutRound makes the front-channel logout round for an SSO session that
// another protocol has just ended (OIDC RP-initiated logout, OneAccess's
// global logout): the browser visits every service provider the session
// signed in to that takes part in single logout, each with a signed
// LogoutRequest, and at the end goes to next, a URL the caller has
// validated ("" shows the signed-out page). The session itself may be gone
// already: its service providers are found by its sid, read before their
// rows are removed. It returns false, having written nothing, when there
// is no service provider to visit (the caller answers as it would have).
func (s *Server) LogoutRound(w http.ResponseWriter, r *http.Request, tenantID, sid, next string) bool {
	ctx := r.Context()
	if sid == "" || tenantID != s.idpOf(r).tenant.ID {
		return false
	}
	rows, err := s.Store.SAMLSessions().ListForSession(ctx, tenantID, sid)
	if err != nil {
		s.Log.ErrorContext(ctx, "saml: logout round: session's service providers", "err", err)
		return false
	}
	if len(rows) == 0 {
		return false
	}
	st := &sloState{TenantID: tenantID, Next: next}
	for _, row := range rows {
		st.Queue = append(st.Queue, sloTarget{App: row.ApplicationID, NameID: row.NameID, Format: row.NameIDFormat, Index: row.SessionIndex})
	}
	s.endSession(ctx, tenantID, sid)
	if len(next) > maxNext {
		s.Log.WarnContext(ctx, "saml: logout round: the target after the round is too long to carry; service providers not told", "len", len(next))
		return false
	}
	app, t := s.nextTarget(ctx, st)
	if app == nil {
		return false
	}
	sg, err := s.signer(ctx, tenantID)
	if err != nil {
		s.Log.ErrorContext(ctx, "saml: logout round: signer", "err", err)
		return false
	}
	s.logoutRequestTo(w, r, sg, st, app, t)
	return true
}

// nextTarget takes from the queue the next service provider that takes
// part in single logout, or returns nil when none is left.
func (s *Server) nextTarget(ctx context.Context, st *sloState) (*apps.App, sloTarget) {
	for len(st.Queue) > 0 {
		t := st.Queue[0]
		st.Queue = st.Queue[1:]
		app, err := s.Apps.Get(ctx, st.TenantID, t.App)
		if err != nil || app.Protocol != storage.ProtocolSAML || app.Disabled || app.SAML.SLOURL == "" {
			continue
		}
		return app, t
	}
	return nil, sloTarget{}
}

// logoutRequestTo sends the browser to app's SLO URL with a signed
// LogoutRequest whose ID is the sealed rest of the round.
func (s *Server) logoutRequestTo(w http.ResponseWriter, r *http.Request, sg *signer, st *sloState, app *apps.App, t sloTarget) {
	now := s.Now()
	st.Current, st.Expires = app.ID, now.Add(sloStepLifetime).Unix()
	nb := now.UTC().Add(sloStepLifetime)
	req := &saml.LogoutRequest{ID: s.sealSLO(st), Version: "2.0", IssueInstant: now.UTC(), NotOnOrAfter: &nb,
		Destination: app.SAML.SLOURL, Issuer: &saml.Issuer{Format: formatEntity, Value: s.idpOf(r).entityID},
		NameID:       &saml.NameID{Format: t.Format, SPNameQualifier: app.SAML.EntityID, Value: t.NameID},
		SessionIndex: &saml.SessionIndex{Value: t.Index}}
	s.send(w, r, sg, &app.SAML, paramRequest, req.Element(), "", "Signing you out of "+app.Name+"…", "Continue")
}

// sloContinue sends the browser to the next service provider that takes
// part in single logout, or finishes: a LogoutResponse to the service
// provider that asked, a redirect to the round's Next, or the signed-out
// page.
func (s *Server) sloContinue(w http.ResponseWriter, r *http.Request, st *sloState) {
	ip := s.idpOf(r)
	sg, err := s.signer(r.Context(), st.TenantID)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	now := s.Now()
	if app, t := s.nextTarget(r.Context(), st); app != nil {
		s.logoutRequestTo(w, r, sg, st, app, t)
		return
	}
	if st.Reply != nil {
		app, err := s.Apps.Get(r.Context(), st.TenantID, st.Reply.App)
		if err == nil && app.SAML.SLOURL != "" {
			status := saml.Status{StatusCode: saml.StatusCode{Value: statusSuccess}}
			if st.Partial {
				status.StatusCode.StatusCode = &saml.StatusCode{Value: statusPartLogout}
			}
			resp := &saml.LogoutResponse{ID: newID(), InResponseTo: st.Reply.RequestID, Version: "2.0", IssueInstant: now.UTC(),
				Destination: app.SAML.SLOURL, Issuer: &saml.Issuer{Format: formatEntity, Value: ip.entityID}, Status: status}
			s.send(w, r, sg, &app.SAML, paramResponse, resp.Element(), st.Reply.RelayState, "Returning to "+app.Name+"…", "Continue to "+app.Name)
			return
		}
	}
	if st.Reply == nil && st.Next != "" {
		http.Redirect(w, r, st.Next, http.StatusFound)
		return
	}
	t := tenant.FromContext(r.Context())
	s.Pages.Render(w, http.StatusOK, web.PageMessage, web.MessageView{View: web.View{Title: "Signed out", TenantName: t.Name},
		Message: "You are signed out."})
}

// send delivers a logout message to a service provider with its SLO
// binding, signed: enveloped for POST, over the query for Redirect.
func (s *Server) send(w http.ResponseWriter, r *http.Request, sg *signer, sp *apps.SAMLSettings, param string, el *etree.Element, relayState, lead, button string) {
	if sp.SLOBinding == apps.SAMLBindingPost {
		if err := sg.sign(el); err != nil {
			s.serverError(w, r, err)
			return
		}
	}
	msg, err := serialize(el)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	if sp.SLOBinding == apps.SAMLBindingPost {
		s.postTo(w, r, sp.SLOURL, param, msg, relayState, lead, button)
		return
	}
	s.redirectTo(w, r, sg, sp.SLOURL, param, msg, relayState)
}

func (s *Server) sealSLO(st *sloState) string {
	js, _ := json.Marshal(st)
	return "_" + b64.EncodeToString(s.Sealer.Seal(js, sloContext))
}

// openSLO reads the state a LogoutResponse's InResponseTo carries back.
func (s *Server) openSLO(id, tenantID string) (*sloState, bool) {
	v, ok := strings.CutPrefix(id, "_")
	if !ok || len(v) > 32<<10 {
		return nil, false
	}
	raw, err := b64.DecodeString(v)
	if err != nil {
		return nil, false
	}
	js, err := s.Sealer.Open(raw, sloContext)
	if err != nil {
		return nil, false
	}
	var st sloState
	if json.Unmarshal(js, &st) != nil || st.TenantID != tenantID || s.Now().Unix() > st.Expires {
		return nil, false
	}
	return &st, true
}
