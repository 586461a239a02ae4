package formfill

import (
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/gatehouse/gatehouse/internal/apps"
	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/authn"
	"github.com/gatehouse/gatehouse/internal/reqinfo"
	"github.com/gatehouse/gatehouse/internal/secret"
	"github.com/gatehouse/gatehouse/internal/storage"
	"github.com/gatehouse/gatehouse/internal/tenant"
	"github.com/gatehouse/gatehouse/internal/web"
)

// Server launches form-fill applications for every tenant.
type Server struct {
	Store    storage.Store
	Apps     *apps.Applications
	Accounts *apps.Accounts
	Sessions *authn.Sessions
	Sealer   *secret.Sealer
	Audit    *audit.Recorder
	Pages    *web.Pages
	CSRF     *web.CSRF
	Log      *slog.Logger
	Now      func() time.Time
}

// Routes lists the form-fill endpoints.
func (s *Server) Routes() []web.Route {
	return []web.Route{
		{Pattern: "GET /api/v1/formfill/{application_id}/launch", Handler: s.launch},
		{Pattern: "GET /api/v1/formfill/{application_id}/credentials", Handler: s.credentials},
		{Pattern: "POST /api/v1/formfill/{application_id}/credentials", Handler: s.saveCredentials},
	}
}

func launchPath(appID string) string { return "/api/v1/formfill/" + appID + "/launch" }

func credentialsPath(appID string) string { return "/api/v1/formfill/" + appID + "/credentials" }

// target is a launch's application and user, once both are checked.
type target struct {
	app     *apps.App
	user    *storage.User
	account *storage.AppAccount // nil when the user has none
	actor   audit.Actor
}

// open finds the signed-in user and the enabled form_fill application they
// may use; otherwise it answers (sign-in redirect or error page) and
// returns nil.
func (s *Server) open(w http.ResponseWriter, r *http.Request) *target {
	t := tenant.FromContext(r.Context())
	appID := r.PathValue("application_id")
	app, err := s.Apps.Get(r.Context(), t.ID, appID)
	if errors.Is(err, apps.ErrAppNotFound) || (err == nil && app.Protocol != storage.ProtocolFormFill) {
		s.errorPage(w, r, http.StatusNotFound, "There is no form-fill application with this id.")
		return nil
	}
	if err != nil {
		s.serverError(w, r, err)
		return nil
	}
	if app.Disabled {
		s.errorPage(w, r, http.StatusForbidden, app.Name+" is disabled. Ask your administrator.")
		return nil
	}
	sess, u, err := web.CurrentUser(r, s.Sessions, s.Store, t.ID)
	if err != nil {
		s.serverError(w, r, err)
		return nil
	}
	if stepUp := web.NeedsSecondFactor(&app.Application, sess); sess == nil || stepUp {
		if r.Method != http.MethodGet {
			s.errorPage(w, r, http.StatusUnauthorized, "Your session has ended. Sign in and launch "+app.Name+" again.")
			return nil
		}
		l := &authn.LoginRequest{TenantID: t.ID, ReturnPath: launchPath(app.ID), AppName: app.Name,
			ExpiresAt: s.Now().Add(authn.LoginRequestLifetime).Unix()}
		if !stepUp {
			sess = nil
		}
		web.ToSignIn(w, r, s.Sealer, l, &app.Application, sess)
		return nil
	}
	tg := &target{app: app, user: u, actor: audit.Actor{Type: audit.ActorUser, ID: u.ID,
		SourceIP: reqinfo.From(r.Context()).IP, UserAgent: r.UserAgent()}}
	if _, err := apps.CheckAccess(r.Context(), s.Store, &app.Application, app.Mappings, u); err != nil {
		s.refuse(w, r, tg, err)
		return nil
	}
	acc, err := s.Store.AppAccounts().GetByUser(r.Context(), t.ID, app.ID, u.ID)
	switch {
	case errors.Is(err, storage.ErrNotFound):
	case err != nil:
		s.serverError(w, r, err)
		return nil
	case acc.Disabled:
		s.refuse(w, r, tg, apps.ErrAccountDisabled)
		return nil
	default:
		tg.account = acc
	}
	return tg
}

// launch is GET /api/v1/formfill/{application_id}/launch: the filled form,
// or the credentials page when the user has none stored yet.
func (s *Server) launch(w http.ResponseWriter, r *http.Request) {
	tg := s.open(w, r)
	if tg == nil {
		return
	}
	var password string
	if tg.account != nil {
		p, err := s.Accounts.Password(tg.account)
		if err != nil {
			s.serverError(w, r, err)
			return
		}
		password = p
	}
	if password == "" {
		s.askCredentials(w, r, tg, http.StatusOK, "")
		return
	}
	ff := tg.app.FormFill
	fields := []web.FormField{{Name: ff.UsernameField, Value: tg.account.AccountName}, {Name: ff.PasswordField, Value: password}}
	for _, k := range sortedKeys(ff.ExtraFields) {
		fields = append(fields, web.FormField{Name: k, Value: ff.ExtraFields[k]})
	}
	s.record(r, tg, "application.launch", storage.ResultSuccess, "form_fill")
	t := tenant.FromContext(r.Context())
	s.Pages.RenderFormFill(w, web.FormFillView{View: web.View{Title: tg.app.Name, TenantName: t.Name}, AppName: tg.app.Name,
		Method: ff.Method, Action: ff.ActionURL, Fields: fields}, ff.ActionOrigin())
}

func (s *Server) askCredentials(w http.ResponseWriter, r *http.Request, tg *target, status int, msg string) {
	t := tenant.FromContext(r.Context())
	if !tg.app.FormFill.UserSetsCredentials {
		s.errorPage(w, r, http.StatusForbidden, "Your administrator has not set your account for "+tg.app.Name+" yet. Ask them to.")
		return
	}
	name := apps.AccountName(&tg.app.Application, tg.user)
	if tg.account != nil {
		name = tg.account.AccountName
	}
	if v := r.PostFormValue("account_name"); v != "" {
		name = v
	}
	s.Pages.Render(w, status, web.PageCredentials, web.CredentialsView{View: web.View{Title: "Your account at " + tg.app.Name, TenantName: t.Name},
		AppName: tg.app.Name, Action: credentialsPath(tg.app.ID), AccountName: name, Error: msg,
		CSRF: s.CSRF.Token(w, r, csrfPurpose(tg.app.ID))})
}

func csrfPurpose(appID string) string { return "formfill-credentials:" + appID }

func (s *Server) record(r *http.Request, tg *target, action, result, detail string) {
	t := tenant.FromContext(r.Context())
	ev := s.Audit.Event(t.ID, tg.actor, action, audit.Target{Type: "application", ID: tg.app.ID}, result, detail)
	if err := s.Store.Audit().Append(r.Context(), ev); err != nil {
		s.Log.ErrorContext(r.Context(), "formfill: audit", "err", err)
	}
}

func (s *Server) errorPage(w http.ResponseWriter, r *http.Request, status int, msg string) {
	s.Pages.Error(w, r, status, "Cannot open the application", msg)
}

func (s *Server) serverError(w http.ResponseWriter, r *http.Request, err error) {
	s.Pages.InternalError(w, r, s.Log, "formfill", err)
}
