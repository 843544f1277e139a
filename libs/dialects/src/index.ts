export * from './form-body';
export * from './timestamps';
export * from './email-search';
export * from './currency';
export * from './amount';
export * from './products';
export * from './location';
export * from './reasons';
export {
  IsAmountLike, IsCountryCode, IsCurrencyLike, IsDateTimeLike, IsEmailAddress, IsQuantityLike, IsStringOrNumber, IsTimestampLike,
  IsUtcIso8601, validateDto,
} from './validators';
export * from './dialect';
export * from './activly.dialect';
export * from './provesource.dialect';
export * from './activecampaign.dialect';
export * from './generic.dialect';
export * from './detect';
export * from './normalise';
export * from './dedupe-key';
export * from './activecampaign.samples';
