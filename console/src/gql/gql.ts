/* eslint-disable */
import * as types from './graphql';



/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  query ConsoleApiKeys {\n    apiKeys {\n      id\n      label\n      createdAt\n      lastUsedAt\n      revokedAt\n      stores {\n        id\n        name\n      }\n    }\n  }\n": typeof types.ConsoleApiKeysDocument,
    "\n  mutation ConsoleCreateApiKey($input: CreateApiKeyInput!) {\n    createApiKey(input: $input) {\n      key\n      apiKey {\n        id\n        label\n      }\n    }\n  }\n": typeof types.ConsoleCreateApiKeyDocument,
    "\n  mutation ConsoleRevokeApiKey($id: ID!) {\n    revokeApiKey(id: $id) {\n      id\n      revokedAt\n    }\n  }\n": typeof types.ConsoleRevokeApiKeyDocument,
    "\n  query ConsoleRules {\n    campaigns(all: true) {\n      id\n      name\n      kind\n      multiplierPercent\n      bonusPoints\n      minAmount\n      channels\n      tiers\n      storeIds\n      startsAt\n      endsAt\n    }\n    earnRules {\n      channelRates {\n        channel\n        ratePoints\n        ratePerYen\n      }\n      storeRates {\n        storeId\n        ratePoints\n        ratePerYen\n        startsAt\n        endsAt\n      }\n      tiers {\n        tier\n        minSpend\n        multiplierPercent\n      }\n      tierWindowDays\n      pendingDays\n      onlinePendingDays\n      expiryMode\n      lotValidityDays\n      signupBonusPoints\n      birthdayBonusPoints\n    }\n    rewards {\n      id\n      name {\n        ja\n        en\n      }\n      pointsCost\n      active\n      stock\n      revision\n    }\n  }\n": typeof types.ConsoleRulesDocument,
    "\n  query ConsoleRuleChanges {\n    ruleChanges(first: 20) {\n      rule\n      ruleId\n      revision\n      actor\n      at\n      action\n      changes {\n        field\n        before\n        after\n      }\n    }\n  }\n": typeof types.ConsoleRuleChangesDocument,
    "\n  query ConsoleRewardChanges($rewardId: ID!) {\n    rewardChanges(rewardId: $rewardId) {\n      revision\n      actor\n      at\n      action\n      changes {\n        field\n        before\n        after\n      }\n    }\n  }\n": typeof types.ConsoleRewardChangesDocument,
    "\n  mutation ConsoleCreateCampaign($input: CreateCampaignInput!) {\n    createCampaign(input: $input) {\n      id\n    }\n  }\n": typeof types.ConsoleCreateCampaignDocument,
    "\n  mutation ConsoleEndCampaign($id: ID!) {\n    endCampaign(id: $id) {\n      id\n      endsAt\n    }\n  }\n": typeof types.ConsoleEndCampaignDocument,
    "\n  query ConsoleMember($id: ID!) {\n    member(id: $id) {\n      id\n      memberCode\n      displayName\n      email\n      phone\n      birthday\n      status\n      mergedIntoId\n      registeredVia\n      tags\n      createdAt\n      marketingConsent {\n        granted\n      }\n      card {\n        code\n        barcodeSvg(format: CODE128)\n      }\n      lineAccount {\n        displayName\n        friendStatus\n        linkedAt\n      }\n      merges {\n        id\n        survivorId\n        mergedId\n        state\n        pointsMoved\n        purchasesMoved\n        requestedAt\n      }\n      points {\n        balance\n        pendingBalance\n        lifetimeEarned\n        tier\n        expiring {\n          points\n          expiresAt\n        }\n        history(first: 20) {\n          nodes {\n            id\n            type\n            amount\n            balanceAfter\n            reason\n            actor\n            storeId\n            channel\n            createdAt\n            expiresAt\n          }\n        }\n      }\n      coupons(first: 10) {\n        id\n        code\n        state\n        pointsCost\n        expiresAt\n        name {\n          ja\n          en\n        }\n      }\n      purchaseSummary {\n        count\n        totalSpent\n        storeCount\n        onlineCount\n      }\n      purchases(first: 10) {\n        nodes {\n          id\n          occurredAt\n          channel\n          amountPaid\n          pointsEarned\n          pointsRedeemed\n          status\n          store {\n            name\n          }\n        }\n      }\n    }\n  }\n": typeof types.ConsoleMemberDocument,
    "\n  mutation ConsoleAdjustPoints($memberId: ID!, $amount: Int!, $reason: String!, $idempotencyKey: String!) {\n    adjustPoints(memberId: $memberId, amount: $amount, reason: $reason, idempotencyKey: $idempotencyKey) {\n      account {\n        balance\n      }\n    }\n  }\n": typeof types.ConsoleAdjustPointsDocument,
    "\n  query ConsoleMergeCandidate($code: String!) {\n    memberByCode(code: $code) {\n      id\n      memberCode\n      displayName\n      status\n      points {\n        balance\n        pendingBalance\n      }\n      purchaseSummary {\n        count\n      }\n      lineAccount {\n        displayName\n      }\n    }\n  }\n": typeof types.ConsoleMergeCandidateDocument,
    "\n  mutation ConsoleMergeMembers($survivorId: ID!, $mergedId: ID!) {\n    mergeMembers(survivorId: $survivorId, mergedId: $mergedId) {\n      id\n    }\n  }\n": typeof types.ConsoleMergeMembersDocument,
    "\n  query ConsoleMemberByCode($code: String!) {\n    memberByCode(code: $code) {\n      ...ConsoleMemberRow\n    }\n  }\n": typeof types.ConsoleMemberByCodeDocument,
    "\n  query ConsoleFindMembers($email: String, $phone: String, $namePrefix: String) {\n    findMembers(email: $email, phone: $phone, namePrefix: $namePrefix) {\n      ...ConsoleMemberRow\n    }\n  }\n": typeof types.ConsoleFindMembersDocument,
    "\n  fragment ConsoleMemberRow on Member {\n    id\n    memberCode\n    displayName\n    email\n    phone\n    status\n    mergedIntoId\n    points {\n      balance\n      tier\n    }\n  }\n": typeof types.ConsoleMemberRowFragmentDoc,
    "\n  mutation ConsoleSendSegmentMessage($input: SendSegmentMessageInput!) {\n    sendSegmentMessage(input: $input) {\n      id\n    }\n  }\n": typeof types.ConsoleSendSegmentMessageDocument,
    "\n  query ConsoleMessageDelivery($id: ID!) {\n    messageDelivery(id: $id) {\n      id\n      status\n      dryRun\n      recipients\n      sent\n      failed\n      skippedBlocked\n      skippedNoConsent\n      scheduledAt\n      startedAt\n      finishedAt\n    }\n  }\n": typeof types.ConsoleMessageDeliveryDocument,
    "\n  mutation ConsoleCancelDelivery($id: ID!) {\n    cancelDelivery(id: $id) {\n      id\n      status\n    }\n  }\n": typeof types.ConsoleCancelDeliveryDocument,
    "\n  query ConsoleNotificationRules {\n    notificationRules {\n      kind\n      enabled\n      daysBefore\n      revision\n      updatedAt\n      updatedBy\n      messages {\n        text\n      }\n      messagesEn {\n        text\n      }\n    }\n  }\n": typeof types.ConsoleNotificationRulesDocument,
    "\n  mutation ConsoleSetNotificationRule($input: SetNotificationRuleInput!) {\n    setNotificationRule(input: $input) {\n      kind\n      enabled\n    }\n  }\n": typeof types.ConsoleSetNotificationRuleDocument,
    "\n  query ConsolePointsLiability($asOf: DateTime) {\n    pointsLiability(asOf: $asOf) {\n      asOf\n      yenPerPoint\n      accounts\n      balancePoints\n      pendingPoints\n      owedPoints\n      outstandingPoints\n      outstandingYen\n      byExpiryMonth {\n        month\n        points\n        yen\n      }\n    }\n  }\n": typeof types.ConsolePointsLiabilityDocument,
    "\n  query ConsolePointsActivity($from: DateTime!, $to: DateTime!) {\n    pointsActivity(from: $from, to: $to) {\n      earned\n      redeemed\n      redemptionRate\n      rows {\n        month\n        storeId\n        channel\n        earned\n        redeemed\n        expired\n        earnReversed\n        redeemReturned\n      }\n    }\n  }\n": typeof types.ConsolePointsActivityDocument,
    "\n  query ConsoleMembersByChannel($from: DateTime!, $to: DateTime!) {\n    membersByChannel(from: $from, to: $to) {\n      storeOnly\n      onlineOnly\n      both\n      rows {\n        month\n        storeOnly\n        onlineOnly\n        both\n      }\n    }\n  }\n": typeof types.ConsoleMembersByChannelDocument,
    "\n  query ConsoleCampaignList {\n    campaigns(all: true) {\n      id\n      name\n      startsAt\n      endsAt\n    }\n  }\n": typeof types.ConsoleCampaignListDocument,
    "\n  query ConsoleCampaignResults($id: ID!) {\n    campaign(id: $id) {\n      id\n      name\n      purchaseResults {\n        during {\n          from\n          to\n          purchases\n          sales\n          members\n        }\n        before {\n          from\n          to\n          purchases\n          sales\n          members\n        }\n        purchasesChange\n        salesChange\n        membersChange\n      }\n      pointResults {\n        during {\n          earned\n        }\n        before {\n          earned\n        }\n        earnedChange\n        campaignPurchases\n        pointsOnCampaignPurchases\n      }\n    }\n  }\n": typeof types.ConsoleCampaignResultsDocument,
    "\n  mutation ConsoleCreateReward($input: RewardInput!) {\n    createReward(input: $input) {\n      id\n    }\n  }\n": typeof types.ConsoleCreateRewardDocument,
    "\n  mutation ConsoleSetRewardActive($id: ID!, $input: RewardInput!) {\n    updateReward(id: $id, input: $input) {\n      id\n      active\n      revision\n    }\n  }\n": typeof types.ConsoleSetRewardActiveDocument,
    "\n  mutation ConsoleSetStoreEarnRate($input: SetStoreEarnRateInput!) {\n    setStoreEarnRate(input: $input) {\n      rounding\n    }\n  }\n": typeof types.ConsoleSetStoreEarnRateDocument,
    "\n  mutation ConsoleSetTierRules($tiers: [TierRuleInput!]!) {\n    setTierRules(tiers: $tiers) {\n      rounding\n    }\n  }\n": typeof types.ConsoleSetTierRulesDocument,
    "\n  mutation ConsoleSetPointsPolicy($input: SetPointsPolicyInput!) {\n    setPointsPolicy(input: $input) {\n      rounding\n    }\n  }\n": typeof types.ConsoleSetPointsPolicyDocument,
    "\n  query ConsoleSegments {\n    segments {\n      id\n      name\n      description\n      revision\n      updatedAt\n      updatedBy\n    }\n  }\n": typeof types.ConsoleSegmentsDocument,
    "\n  query ConsoleSegmentPreview($definition: SegmentDefinitionInput) {\n    segmentPreview(definition: $definition) {\n      memberCount\n      reachableCount\n      consentedCount\n      recipientCount\n    }\n  }\n": typeof types.ConsoleSegmentPreviewDocument,
    "\n  mutation ConsoleCreateSegment($input: CreateSegmentInput!) {\n    createSegment(input: $input) {\n      id\n      name\n    }\n  }\n": typeof types.ConsoleCreateSegmentDocument,
    "\n  mutation ConsoleDeleteSegment($id: ID!) {\n    deleteSegment(id: $id)\n  }\n": typeof types.ConsoleDeleteSegmentDocument,
    "\n  query ConsoleStores {\n    stores {\n      id\n      code\n      name\n      kind\n      prefecture\n      city\n      shopifyShopDomain\n    }\n  }\n": typeof types.ConsoleStoresDocument,
    "\n  mutation ConsoleCreateStore($input: CreateStoreInput!) {\n    createStore(input: $input) {\n      id\n    }\n  }\n": typeof types.ConsoleCreateStoreDocument,
};
const documents: Documents = {
    "\n  query ConsoleApiKeys {\n    apiKeys {\n      id\n      label\n      createdAt\n      lastUsedAt\n      revokedAt\n      stores {\n        id\n        name\n      }\n    }\n  }\n": types.ConsoleApiKeysDocument,
    "\n  mutation ConsoleCreateApiKey($input: CreateApiKeyInput!) {\n    createApiKey(input: $input) {\n      key\n      apiKey {\n        id\n        label\n      }\n    }\n  }\n": types.ConsoleCreateApiKeyDocument,
    "\n  mutation ConsoleRevokeApiKey($id: ID!) {\n    revokeApiKey(id: $id) {\n      id\n      revokedAt\n    }\n  }\n": types.ConsoleRevokeApiKeyDocument,
    "\n  query ConsoleRules {\n    campaigns(all: true) {\n      id\n      name\n      kind\n      multiplierPercent\n      bonusPoints\n      minAmount\n      channels\n      tiers\n      storeIds\n      startsAt\n      endsAt\n    }\n    earnRules {\n      channelRates {\n        channel\n        ratePoints\n        ratePerYen\n      }\n      storeRates {\n        storeId\n        ratePoints\n        ratePerYen\n        startsAt\n        endsAt\n      }\n      tiers {\n        tier\n        minSpend\n        multiplierPercent\n      }\n      tierWindowDays\n      pendingDays\n      onlinePendingDays\n      expiryMode\n      lotValidityDays\n      signupBonusPoints\n      birthdayBonusPoints\n    }\n    rewards {\n      id\n      name {\n        ja\n        en\n      }\n      pointsCost\n      active\n      stock\n      revision\n    }\n  }\n": types.ConsoleRulesDocument,
    "\n  query ConsoleRuleChanges {\n    ruleChanges(first: 20) {\n      rule\n      ruleId\n      revision\n      actor\n      at\n      action\n      changes {\n        field\n        before\n        after\n      }\n    }\n  }\n": types.ConsoleRuleChangesDocument,
    "\n  query ConsoleRewardChanges($rewardId: ID!) {\n    rewardChanges(rewardId: $rewardId) {\n      revision\n      actor\n      at\n      action\n      changes {\n        field\n        before\n        after\n      }\n    }\n  }\n": types.ConsoleRewardChangesDocument,
    "\n  mutation ConsoleCreateCampaign($input: CreateCampaignInput!) {\n    createCampaign(input: $input) {\n      id\n    }\n  }\n": types.ConsoleCreateCampaignDocument,
    "\n  mutation ConsoleEndCampaign($id: ID!) {\n    endCampaign(id: $id) {\n      id\n      endsAt\n    }\n  }\n": types.ConsoleEndCampaignDocument,
    "\n  query ConsoleMember($id: ID!) {\n    member(id: $id) {\n      id\n      memberCode\n      displayName\n      email\n      phone\n      birthday\n      status\n      mergedIntoId\n      registeredVia\n      tags\n      createdAt\n      marketingConsent {\n        granted\n      }\n      card {\n        code\n        barcodeSvg(format: CODE128)\n      }\n      lineAccount {\n        displayName\n        friendStatus\n        linkedAt\n      }\n      merges {\n        id\n        survivorId\n        mergedId\n        state\n        pointsMoved\n        purchasesMoved\n        requestedAt\n      }\n      points {\n        balance\n        pendingBalance\n        lifetimeEarned\n        tier\n        expiring {\n          points\n          expiresAt\n        }\n        history(first: 20) {\n          nodes {\n            id\n            type\n            amount\n            balanceAfter\n            reason\n            actor\n            storeId\n            channel\n            createdAt\n            expiresAt\n          }\n        }\n      }\n      coupons(first: 10) {\n        id\n        code\n        state\n        pointsCost\n        expiresAt\n        name {\n          ja\n          en\n        }\n      }\n      purchaseSummary {\n        count\n        totalSpent\n        storeCount\n        onlineCount\n      }\n      purchases(first: 10) {\n        nodes {\n          id\n          occurredAt\n          channel\n          amountPaid\n          pointsEarned\n          pointsRedeemed\n          status\n          store {\n            name\n          }\n        }\n      }\n    }\n  }\n": types.ConsoleMemberDocument,
    "\n  mutation ConsoleAdjustPoints($memberId: ID!, $amount: Int!, $reason: String!, $idempotencyKey: String!) {\n    adjustPoints(memberId: $memberId, amount: $amount, reason: $reason, idempotencyKey: $idempotencyKey) {\n      account {\n        balance\n      }\n    }\n  }\n": types.ConsoleAdjustPointsDocument,
    "\n  query ConsoleMergeCandidate($code: String!) {\n    memberByCode(code: $code) {\n      id\n      memberCode\n      displayName\n      status\n      points {\n        balance\n        pendingBalance\n      }\n      purchaseSummary {\n        count\n      }\n      lineAccount {\n        displayName\n      }\n    }\n  }\n": types.ConsoleMergeCandidateDocument,
    "\n  mutation ConsoleMergeMembers($survivorId: ID!, $mergedId: ID!) {\n    mergeMembers(survivorId: $survivorId, mergedId: $mergedId) {\n      id\n    }\n  }\n": types.ConsoleMergeMembersDocument,
    "\n  query ConsoleMemberByCode($code: String!) {\n    memberByCode(code: $code) {\n      ...ConsoleMemberRow\n    }\n  }\n": types.ConsoleMemberByCodeDocument,
    "\n  query ConsoleFindMembers($email: String, $phone: String, $namePrefix: String) {\n    findMembers(email: $email, phone: $phone, namePrefix: $namePrefix) {\n      ...ConsoleMemberRow\n    }\n  }\n": types.ConsoleFindMembersDocument,
    "\n  fragment ConsoleMemberRow on Member {\n    id\n    memberCode\n    displayName\n    email\n    phone\n    status\n    mergedIntoId\n    points {\n      balance\n      tier\n    }\n  }\n": types.ConsoleMemberRowFragmentDoc,
    "\n  mutation ConsoleSendSegmentMessage($input: SendSegmentMessageInput!) {\n    sendSegmentMessage(input: $input) {\n      id\n    }\n  }\n": types.ConsoleSendSegmentMessageDocument,
    "\n  query ConsoleMessageDelivery($id: ID!) {\n    messageDelivery(id: $id) {\n      id\n      status\n      dryRun\n      recipients\n      sent\n      failed\n      skippedBlocked\n      skippedNoConsent\n      scheduledAt\n      startedAt\n      finishedAt\n    }\n  }\n": types.ConsoleMessageDeliveryDocument,
    "\n  mutation ConsoleCancelDelivery($id: ID!) {\n    cancelDelivery(id: $id) {\n      id\n      status\n    }\n  }\n": types.ConsoleCancelDeliveryDocument,
    "\n  query ConsoleNotificationRules {\n    notificationRules {\n      kind\n      enabled\n      daysBefore\n      revision\n      updatedAt\n      updatedBy\n      messages {\n        text\n      }\n      messagesEn {\n        text\n      }\n    }\n  }\n": types.ConsoleNotificationRulesDocument,
    "\n  mutation ConsoleSetNotificationRule($input: SetNotificationRuleInput!) {\n    setNotificationRule(input: $input) {\n      kind\n      enabled\n    }\n  }\n": types.ConsoleSetNotificationRuleDocument,
    "\n  query ConsolePointsLiability($asOf: DateTime) {\n    pointsLiability(asOf: $asOf) {\n      asOf\n      yenPerPoint\n      accounts\n      balancePoints\n      pendingPoints\n      owedPoints\n      outstandingPoints\n      outstandingYen\n      byExpiryMonth {\n        month\n        points\n        yen\n      }\n    }\n  }\n": types.ConsolePointsLiabilityDocument,
    "\n  query ConsolePointsActivity($from: DateTime!, $to: DateTime!) {\n    pointsActivity(from: $from, to: $to) {\n      earned\n      redeemed\n      redemptionRate\n      rows {\n        month\n        storeId\n        channel\n        earned\n        redeemed\n        expired\n        earnReversed\n        redeemReturned\n      }\n    }\n  }\n": types.ConsolePointsActivityDocument,
    "\n  query ConsoleMembersByChannel($from: DateTime!, $to: DateTime!) {\n    membersByChannel(from: $from, to: $to) {\n      storeOnly\n      onlineOnly\n      both\n      rows {\n        month\n        storeOnly\n        onlineOnly\n        both\n      }\n    }\n  }\n": types.ConsoleMembersByChannelDocument,
    "\n  query ConsoleCampaignList {\n    campaigns(all: true) {\n      id\n      name\n      startsAt\n      endsAt\n    }\n  }\n": types.ConsoleCampaignListDocument,
    "\n  query ConsoleCampaignResults($id: ID!) {\n    campaign(id: $id) {\n      id\n      name\n      purchaseResults {\n        during {\n          from\n          to\n          purchases\n          sales\n          members\n        }\n        before {\n          from\n          to\n          purchases\n          sales\n          members\n        }\n        purchasesChange\n        salesChange\n        membersChange\n      }\n      pointResults {\n        during {\n          earned\n        }\n        before {\n          earned\n        }\n        earnedChange\n        campaignPurchases\n        pointsOnCampaignPurchases\n      }\n    }\n  }\n": types.ConsoleCampaignResultsDocument,
    "\n  mutation ConsoleCreateReward($input: RewardInput!) {\n    createReward(input: $input) {\n      id\n    }\n  }\n": types.ConsoleCreateRewardDocument,
    "\n  mutation ConsoleSetRewardActive($id: ID!, $input: RewardInput!) {\n    updateReward(id: $id, input: $input) {\n      id\n      active\n      revision\n    }\n  }\n": types.ConsoleSetRewardActiveDocument,
    "\n  mutation ConsoleSetStoreEarnRate($input: SetStoreEarnRateInput!) {\n    setStoreEarnRate(input: $input) {\n      rounding\n    }\n  }\n": types.ConsoleSetStoreEarnRateDocument,
    "\n  mutation ConsoleSetTierRules($tiers: [TierRuleInput!]!) {\n    setTierRules(tiers: $tiers) {\n      rounding\n    }\n  }\n": types.ConsoleSetTierRulesDocument,
    "\n  mutation ConsoleSetPointsPolicy($input: SetPointsPolicyInput!) {\n    setPointsPolicy(input: $input) {\n      rounding\n    }\n  }\n": types.ConsoleSetPointsPolicyDocument,
    "\n  query ConsoleSegments {\n    segments {\n      id\n      name\n      description\n      revision\n      updatedAt\n      updatedBy\n    }\n  }\n": types.ConsoleSegmentsDocument,
    "\n  query ConsoleSegmentPreview($definition: SegmentDefinitionInput) {\n    segmentPreview(definition: $definition) {\n      memberCount\n      reachableCount\n      consentedCount\n      recipientCount\n    }\n  }\n": types.ConsoleSegmentPreviewDocument,
    "\n  mutation ConsoleCreateSegment($input: CreateSegmentInput!) {\n    createSegment(input: $input) {\n      id\n      name\n    }\n  }\n": types.ConsoleCreateSegmentDocument,
    "\n  mutation ConsoleDeleteSegment($id: ID!) {\n    deleteSegment(id: $id)\n  }\n": types.ConsoleDeleteSegmentDocument,
    "\n  query ConsoleStores {\n    stores {\n      id\n      code\n      name\n      kind\n      prefecture\n      city\n      shopifyShopDomain\n    }\n  }\n": types.ConsoleStoresDocument,
    "\n  mutation ConsoleCreateStore($input: CreateStoreInput!) {\n    createStore(input: $input) {\n      id\n    }\n  }\n": types.ConsoleCreateStoreDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ConsoleApiKeys {\n    apiKeys {\n      id\n      label\n      createdAt\n      lastUsedAt\n      revokedAt\n      stores {\n        id\n        name\n      }\n    }\n  }\n"): typeof import('./graphql').ConsoleApiKeysDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ConsoleCreateApiKey($input: CreateApiKeyInput!) {\n    createApiKey(input: $input) {\n      key\n      apiKey {\n        id\n        label\n      }\n    }\n  }\n"): typeof import('./graphql').ConsoleCreateApiKeyDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ConsoleRevokeApiKey($id: ID!) {\n    revokeApiKey(id: $id) {\n      id\n      revokedAt\n    }\n  }\n"): typeof import('./graphql').ConsoleRevokeApiKeyDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ConsoleRules {\n    campaigns(all: true) {\n      id\n      name\n      kind\n      multiplierPercent\n      bonusPoints\n      minAmount\n      channels\n      tiers\n      storeIds\n      startsAt\n      endsAt\n    }\n    earnRules {\n      channelRates {\n        channel\n        ratePoints\n        ratePerYen\n      }\n      storeRates {\n        storeId\n        ratePoints\n        ratePerYen\n        startsAt\n        endsAt\n      }\n      tiers {\n        tier\n        minSpend\n        multiplierPercent\n      }\n      tierWindowDays\n      pendingDays\n      onlinePendingDays\n      expiryMode\n      lotValidityDays\n      signupBonusPoints\n      birthdayBonusPoints\n    }\n    rewards {\n      id\n      name {\n        ja\n        en\n      }\n      pointsCost\n      active\n      stock\n      revision\n    }\n  }\n"): typeof import('./graphql').ConsoleRulesDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ConsoleRuleChanges {\n    ruleChanges(first: 20) {\n      rule\n      ruleId\n      revision\n      actor\n      at\n      action\n      changes {\n        field\n        before\n        after\n      }\n    }\n  }\n"): typeof import('./graphql').ConsoleRuleChangesDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ConsoleRewardChanges($rewardId: ID!) {\n    rewardChanges(rewardId: $rewardId) {\n      revision\n      actor\n      at\n      action\n      changes {\n        field\n        before\n        after\n      }\n    }\n  }\n"): typeof import('./graphql').ConsoleRewardChangesDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ConsoleCreateCampaign($input: CreateCampaignInput!) {\n    createCampaign(input: $input) {\n      id\n    }\n  }\n"): typeof import('./graphql').ConsoleCreateCampaignDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ConsoleEndCampaign($id: ID!) {\n    endCampaign(id: $id) {\n      id\n      endsAt\n    }\n  }\n"): typeof import('./graphql').ConsoleEndCampaignDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ConsoleMember($id: ID!) {\n    member(id: $id) {\n      id\n      memberCode\n      displayName\n      email\n      phone\n      birthday\n      status\n      mergedIntoId\n      registeredVia\n      tags\n      createdAt\n      marketingConsent {\n        granted\n      }\n      card {\n        code\n        barcodeSvg(format: CODE128)\n      }\n      lineAccount {\n        displayName\n        friendStatus\n        linkedAt\n      }\n      merges {\n        id\n        survivorId\n        mergedId\n        state\n        pointsMoved\n        purchasesMoved\n        requestedAt\n      }\n      points {\n        balance\n        pendingBalance\n        lifetimeEarned\n        tier\n        expiring {\n          points\n          expiresAt\n        }\n        history(first: 20) {\n          nodes {\n            id\n            type\n            amount\n            balanceAfter\n            reason\n            actor\n            storeId\n            channel\n            createdAt\n            expiresAt\n          }\n        }\n      }\n      coupons(first: 10) {\n        id\n        code\n        state\n        pointsCost\n        expiresAt\n        name {\n          ja\n          en\n        }\n      }\n      purchaseSummary {\n        count\n        totalSpent\n        storeCount\n        onlineCount\n      }\n      purchases(first: 10) {\n        nodes {\n          id\n          occurredAt\n          channel\n          amountPaid\n          pointsEarned\n          pointsRedeemed\n          status\n          store {\n            name\n          }\n        }\n      }\n    }\n  }\n"): typeof import('./graphql').ConsoleMemberDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ConsoleAdjustPoints($memberId: ID!, $amount: Int!, $reason: String!, $idempotencyKey: String!) {\n    adjustPoints(memberId: $memberId, amount: $amount, reason: $reason, idempotencyKey: $idempotencyKey) {\n      account {\n        balance\n      }\n    }\n  }\n"): typeof import('./graphql').ConsoleAdjustPointsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ConsoleMergeCandidate($code: String!) {\n    memberByCode(code: $code) {\n      id\n      memberCode\n      displayName\n      status\n      points {\n        balance\n        pendingBalance\n      }\n      purchaseSummary {\n        count\n      }\n      lineAccount {\n        displayName\n      }\n    }\n  }\n"): typeof import('./graphql').ConsoleMergeCandidateDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ConsoleMergeMembers($survivorId: ID!, $mergedId: ID!) {\n    mergeMembers(survivorId: $survivorId, mergedId: $mergedId) {\n      id\n    }\n  }\n"): typeof import('./graphql').ConsoleMergeMembersDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ConsoleMemberByCode($code: String!) {\n    memberByCode(code: $code) {\n      ...ConsoleMemberRow\n    }\n  }\n"): typeof import('./graphql').ConsoleMemberByCodeDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ConsoleFindMembers($email: String, $phone: String, $namePrefix: String) {\n    findMembers(email: $email, phone: $phone, namePrefix: $namePrefix) {\n      ...ConsoleMemberRow\n    }\n  }\n"): typeof import('./graphql').ConsoleFindMembersDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment ConsoleMemberRow on Member {\n    id\n    memberCode\n    displayName\n    email\n    phone\n    status\n    mergedIntoId\n    points {\n      balance\n      tier\n    }\n  }\n"): typeof import('./graphql').ConsoleMemberRowFragmentDoc;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ConsoleSendSegmentMessage($input: SendSegmentMessageInput!) {\n    sendSegmentMessage(input: $input) {\n      id\n    }\n  }\n"): typeof import('./graphql').ConsoleSendSegmentMessageDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ConsoleMessageDelivery($id: ID!) {\n    messageDelivery(id: $id) {\n      id\n      status\n      dryRun\n      recipients\n      sent\n      failed\n      skippedBlocked\n      skippedNoConsent\n      scheduledAt\n      startedAt\n      finishedAt\n    }\n  }\n"): typeof import('./graphql').ConsoleMessageDeliveryDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ConsoleCancelDelivery($id: ID!) {\n    cancelDelivery(id: $id) {\n      id\n      status\n    }\n  }\n"): typeof import('./graphql').ConsoleCancelDeliveryDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ConsoleNotificationRules {\n    notificationRules {\n      kind\n      enabled\n      daysBefore\n      revision\n      updatedAt\n      updatedBy\n      messages {\n        text\n      }\n      messagesEn {\n        text\n      }\n    }\n  }\n"): typeof import('./graphql').ConsoleNotificationRulesDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ConsoleSetNotificationRule($input: SetNotificationRuleInput!) {\n    setNotificationRule(input: $input) {\n      kind\n      enabled\n    }\n  }\n"): typeof import('./graphql').ConsoleSetNotificationRuleDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ConsolePointsLiability($asOf: DateTime) {\n    pointsLiability(asOf: $asOf) {\n      asOf\n      yenPerPoint\n      accounts\n      balancePoints\n      pendingPoints\n      owedPoints\n      outstandingPoints\n      outstandingYen\n      byExpiryMonth {\n        month\n        points\n        yen\n      }\n    }\n  }\n"): typeof import('./graphql').ConsolePointsLiabilityDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ConsolePointsActivity($from: DateTime!, $to: DateTime!) {\n    pointsActivity(from: $from, to: $to) {\n      earned\n      redeemed\n      redemptionRate\n      rows {\n        month\n        storeId\n        channel\n        earned\n        redeemed\n        expired\n        earnReversed\n        redeemReturned\n      }\n    }\n  }\n"): typeof import('./graphql').ConsolePointsActivityDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ConsoleMembersByChannel($from: DateTime!, $to: DateTime!) {\n    membersByChannel(from: $from, to: $to) {\n      storeOnly\n      onlineOnly\n      both\n      rows {\n        month\n        storeOnly\n        onlineOnly\n        both\n      }\n    }\n  }\n"): typeof import('./graphql').ConsoleMembersByChannelDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ConsoleCampaignList {\n    campaigns(all: true) {\n      id\n      name\n      startsAt\n      endsAt\n    }\n  }\n"): typeof import('./graphql').ConsoleCampaignListDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ConsoleCampaignResults($id: ID!) {\n    campaign(id: $id) {\n      id\n      name\n      purchaseResults {\n        during {\n          from\n          to\n          purchases\n          sales\n          members\n        }\n        before {\n          from\n          to\n          purchases\n          sales\n          members\n        }\n        purchasesChange\n        salesChange\n        membersChange\n      }\n      pointResults {\n        during {\n          earned\n        }\n        before {\n          earned\n        }\n        earnedChange\n        campaignPurchases\n        pointsOnCampaignPurchases\n      }\n    }\n  }\n"): typeof import('./graphql').ConsoleCampaignResultsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ConsoleCreateReward($input: RewardInput!) {\n    createReward(input: $input) {\n      id\n    }\n  }\n"): typeof import('./graphql').ConsoleCreateRewardDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ConsoleSetRewardActive($id: ID!, $input: RewardInput!) {\n    updateReward(id: $id, input: $input) {\n      id\n      active\n      revision\n    }\n  }\n"): typeof import('./graphql').ConsoleSetRewardActiveDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ConsoleSetStoreEarnRate($input: SetStoreEarnRateInput!) {\n    setStoreEarnRate(input: $input) {\n      rounding\n    }\n  }\n"): typeof import('./graphql').ConsoleSetStoreEarnRateDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ConsoleSetTierRules($tiers: [TierRuleInput!]!) {\n    setTierRules(tiers: $tiers) {\n      rounding\n    }\n  }\n"): typeof import('./graphql').ConsoleSetTierRulesDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ConsoleSetPointsPolicy($input: SetPointsPolicyInput!) {\n    setPointsPolicy(input: $input) {\n      rounding\n    }\n  }\n"): typeof import('./graphql').ConsoleSetPointsPolicyDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ConsoleSegments {\n    segments {\n      id\n      name\n      description\n      revision\n      updatedAt\n      updatedBy\n    }\n  }\n"): typeof import('./graphql').ConsoleSegmentsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ConsoleSegmentPreview($definition: SegmentDefinitionInput) {\n    segmentPreview(definition: $definition) {\n      memberCount\n      reachableCount\n      consentedCount\n      recipientCount\n    }\n  }\n"): typeof import('./graphql').ConsoleSegmentPreviewDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ConsoleCreateSegment($input: CreateSegmentInput!) {\n    createSegment(input: $input) {\n      id\n      name\n    }\n  }\n"): typeof import('./graphql').ConsoleCreateSegmentDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ConsoleDeleteSegment($id: ID!) {\n    deleteSegment(id: $id)\n  }\n"): typeof import('./graphql').ConsoleDeleteSegmentDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ConsoleStores {\n    stores {\n      id\n      code\n      name\n      kind\n      prefecture\n      city\n      shopifyShopDomain\n    }\n  }\n"): typeof import('./graphql').ConsoleStoresDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ConsoleCreateStore($input: CreateStoreInput!) {\n    createStore(input: $input) {\n      id\n    }\n  }\n"): typeof import('./graphql').ConsoleCreateStoreDocument;


export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}
