/* Every request handler; the router's table is the only caller. */
#ifndef CORDGATE_HANDLERS_H
#define CORDGATE_HANDLERS_H

#include "cordgate/errors.h"

struct request;

enum cg_err handle_health_get(struct request *r);
enum cg_err handle_metrics_get(struct request *r);
enum cg_err handle_authorize_post(struct request *r);
enum cg_err handle_verify_get(struct request *r);
enum cg_err handle_users_post(struct request *r);
enum cg_err handle_users_list(struct request *r);
enum cg_err handle_user_put(struct request *r);
enum cg_err handle_user_get(struct request *r);
enum cg_err handle_user_delete(struct request *r);
enum cg_err handle_groups_list(struct request *r);
enum cg_err handle_group_put(struct request *r);
enum cg_err handle_group_get(struct request *r);
enum cg_err handle_group_delete(struct request *r);
enum cg_err handle_group_members_list(struct request *r);
enum cg_err handle_group_members_post(struct request *r);
enum cg_err handle_organizations_post(struct request *r);
enum cg_err handle_batch_post(struct request *r);
enum cg_err handle_client_viewer_get(struct request *r);
enum cg_err handle_client_user_get(struct request *r);
enum cg_err handle_client_users_get(struct request *r);
enum cg_err handle_client_group_members_get(struct request *r);
enum cg_err handle_test_token_get(struct request *r);
enum cg_err handle_test_token_preflight(struct request *r);

#endif
