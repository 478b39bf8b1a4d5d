import { secretsSuite } from './secrets-suite';

secretsSuite('postgres');
