// The few Bot API object shapes botwarden reads (User, Update, WebhookInfo, an error's parameters); the envelope is read in answer.ts.

/** A Telegram user or bot (getMe answers one with the bot-only fields). */
export interface User {
  id: number;
  is_bot: boolean;
  first_name: string;
  last_name?: string;
  username?: string;
  language_code?: string;
  can_join_groups?: boolean;
  can_read_all_group_messages?: boolean;
  supports_inline_queries?: boolean;
}

/** An update as botwarden sees it: only the id matters to us, the rest is passed through untouched. */
export interface Update {
  update_id: number;
  [kind: string]: unknown;
}

/** getWebhookInfo's answer. `url` is empty while the bot polls. */
export interface WebhookInfo {
  url: string;
  has_custom_certificate: boolean;
  pending_update_count: number;
  ip_address?: string;
  last_error_date?: number;
  last_error_message?: string;
  last_synchronization_error_date?: number;
  max_connections?: number;
  allowed_updates?: string[];
}

/** Extra information some errors carry. */
export interface ResponseParameters {
  retry_after?: number;
  migrate_to_chat_id?: number;
}

