import { reencryptionSuite } from './reencryption-suite';

reencryptionSuite('esdb');
