// Bot API method names: canonical spelling from any case, and a bounded label set for metrics (unknown → `other`).

/** Bot API methods (Bot API 9.x/10.x); method names are case-insensitive on the server. */
const METHODS = [
  'getUpdates', 'setWebhook', 'deleteWebhook', 'getWebhookInfo', 'getMe', 'logOut', 'close',
  'sendMessage', 'forwardMessage', 'forwardMessages', 'copyMessage', 'copyMessages', 'sendPhoto', 'sendAudio',
  'sendDocument', 'sendVideo', 'sendAnimation', 'sendVoice', 'sendVideoNote', 'sendPaidMedia', 'sendMediaGroup',
  'sendLocation', 'sendVenue', 'sendContact', 'sendPoll', 'sendChecklist', 'sendDice', 'sendMessageDraft',
  'sendChatAction', 'setMessageReaction', 'getUserProfilePhotos', 'setUserEmojiStatus', 'getFile',
  'banChatMember', 'unbanChatMember', 'restrictChatMember', 'promoteChatMember', 'setChatAdministratorCustomTitle',
  'banChatSenderChat', 'unbanChatSenderChat', 'setChatPermissions', 'exportChatInviteLink', 'createChatInviteLink',
  'editChatInviteLink', 'createChatSubscriptionInviteLink', 'editChatSubscriptionInviteLink', 'revokeChatInviteLink',
  'approveChatJoinRequest', 'declineChatJoinRequest', 'setChatPhoto', 'deleteChatPhoto', 'setChatTitle',
  'setChatDescription', 'pinChatMessage', 'unpinChatMessage', 'unpinAllChatMessages', 'leaveChat', 'getChat',
  'getChatAdministrators', 'getChatMemberCount', 'getChatMember', 'setChatStickerSet', 'deleteChatStickerSet',
  'getForumTopicIconStickers', 'createForumTopic', 'editForumTopic', 'closeForumTopic', 'reopenForumTopic',
  'deleteForumTopic', 'unpinAllForumTopicMessages', 'editGeneralForumTopic', 'closeGeneralForumTopic',
  'reopenGeneralForumTopic', 'hideGeneralForumTopic', 'unhideGeneralForumTopic', 'unpinAllGeneralForumTopicMessages',
  'answerCallbackQuery', 'getUserChatBoosts', 'getBusinessConnection', 'setMyCommands', 'deleteMyCommands',
  'getMyCommands', 'setMyName', 'getMyName', 'setMyDescription', 'getMyDescription', 'setMyShortDescription',
  'getMyShortDescription', 'setChatMenuButton', 'getChatMenuButton', 'setMyDefaultAdministratorRights',
  'getMyDefaultAdministratorRights', 'editMessageText', 'editMessageCaption', 'editMessageMedia',
  'editMessageLiveLocation', 'stopMessageLiveLocation', 'editMessageChecklist', 'editMessageReplyMarkup', 'stopPoll',
  'deleteMessage', 'deleteMessages', 'sendSticker', 'getStickerSet', 'getCustomEmojiStickers', 'uploadStickerFile',
  'createNewStickerSet', 'addStickerToSet', 'setStickerPositionInSet', 'deleteStickerFromSet', 'replaceStickerInSet',
  'setStickerEmojiList', 'setStickerKeywords', 'setStickerMaskPosition', 'setStickerSetTitle',
  'setStickerSetThumbnail', 'setCustomEmojiStickerSetThumbnail', 'deleteStickerSet', 'answerInlineQuery',
  'answerWebAppQuery', 'savePreparedInlineMessage', 'sendInvoice', 'createInvoiceLink', 'answerShippingQuery',
  'answerPreCheckoutQuery', 'getMyStarBalance', 'getStarTransactions', 'refundStarPayment',
  'editUserStarSubscription', 'sendGame', 'setGameScore', 'getGameHighScores', 'setPassportDataErrors',
  'getAvailableGifts', 'sendGift', 'giftPremiumSubscription', 'verifyUser', 'verifyChat', 'removeUserVerification',
  'removeChatVerification', 'readBusinessMessage', 'deleteBusinessMessages', 'setBusinessAccountName',
  'setBusinessAccountUsername', 'setBusinessAccountBio', 'setBusinessAccountProfilePhoto',
  'removeBusinessAccountProfilePhoto', 'setBusinessAccountGiftSettings', 'getBusinessAccountStarBalance',
  'transferBusinessAccountStars', 'getBusinessAccountGifts', 'convertGiftToStars', 'upgradeGift', 'transferGift',
  'postStory', 'editStory', 'deleteStory', 'approveSuggestedPost', 'declineSuggestedPost',
] as const;

/** A known Bot API method name in its canonical spelling. */
export type BotApiMethod = (typeof METHODS)[number];

const BY_LOWER = new Map<string, BotApiMethod>(METHODS.map((m) => [m.toLowerCase(), m]));

/** The canonical spelling of `name` (`setWebHook` → `setWebhook`), or undefined for an unknown method. */
export function canonicalMethod(name: string): BotApiMethod | undefined {
  return BY_LOWER.get(name.toLowerCase());
}

/** A metrics label for a method: its canonical name, `file` for downloads, else `other` (bounded; never user text). */
export function methodLabel(name: string): string {
  if (name === 'file') return 'file';
  return canonicalMethod(name) ?? 'other';
}
