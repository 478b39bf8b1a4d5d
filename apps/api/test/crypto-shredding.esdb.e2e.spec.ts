import { cryptoShreddingSuite } from './crypto-shredding-suite';

cryptoShreddingSuite('esdb');
