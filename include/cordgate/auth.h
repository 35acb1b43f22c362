/* Bearer tokens: access tokens and server auth tokens. */
#ifndef CORDGATE_AUTH_H
#define CORDGATE_AUTH_H

#include <stdbool.h>
#include <stddef.h>

#include "cordgate/compiler.h"
#include "cordgate/errors.h"
#include "cordgate/jwt.h"
#include "cordgate/str.h"

struct request;

/* Access tokens live 24 hours; app tokens are accepted for 24 hours after
 * their iat, with 30 seconds of clock tolerance (Cord's constants).  An app
 * or server token whose iat is more than the tolerance ahead of our clock
 * is refused (RFC 8725 3.10; Cord accepts it, and it would outlive the
 * 24 hours). */
#define AUTH_ACCESS_TOKEN_TTL 86400
#define AUTH_MAX_AGE          86400
#define AUTH_CLOCK_TOLERANCE  30

/*
 * Authenticate the Authorization header of a server API request: a Cord
 * access token from POST /v1/authorize, or a server auth token signed with
 * the app's secret (claim app_id or project_id, plus iat and exp only).  On
 * success r->app is the app; on failure the error and message are Cord's.
 */
enum cg_err auth_server(struct request *r) CG_MUSTCHECK;

/*
 * Authenticate a client auth token (cord-api.md 3.7.3): check it, have its
 * user and group created or updated (one store call), and load the viewer
 * (model.h) into r->viewer.  The router answers a failure as Cord's client
 * routes do.
 */
enum cg_err auth_client(struct request *r) CG_MUSTCHECK;

/*
 * GET /metrics: when CORDGATE_METRICS_TOKEN is set, `Authorization: Bearer
 * <it>` (compared in constant time), else a 401 with WWW-Authenticate;
 * when it is not set, anyone the web server lets through.
 */
enum cg_err auth_metrics(struct request *r) CG_MUSTCHECK;

/* validator's isJWT: three dot-separated parts of [A-Za-z0-9_-]*. */
bool auth_is_jwt(const char *s, size_t len);

/* The app with this id, from the worker's cache or the database (then
 * cached); CG_ERR_PROJECT_NOT_FOUND when there is none.  *out lives in the
 * request's arena. */
struct app;
enum cg_err auth_app_get(struct request *r, const char *id,
                         struct app *out) CG_MUSTCHECK;

/*
 * Verify t with the secret of the app with this id, or with its previous
 * secret while that one's grace lasts: the app comes from the worker's
 * cache or the database (then cached), and an app from the cache whose
 * secrets fail the signature is read again once, so that a secret rotated a
 * moment ago works at once.  On CG_ERR_OK, *st is the verdict and *out the
 * app (in the request's arena); CG_ERR_PROJECT_NOT_FOUND when there is no
 * such app.
 */
enum cg_err auth_app_verify(struct request *r, const char *id,
                            const struct jwt *t,
                            const struct jwt_verify_opts *o, struct app *out,
                            enum jwt_status *st) CG_MUSTCHECK;

/* The server-wide access-token secret new tokens are signed with:
 * CORDGATE_ACCESS_TOKEN_SECRET, else the one stored in the database (by
 * `cordgate migrate`, then `cordgate access-secret rotate`), read again
 * after the cache bound (cache.h). */
enum cg_err auth_access_secret(struct request *r, struct str *out) CG_MUSTCHECK;

#endif
