import { secretsSuite } from './secrets-suite';

secretsSuite('sqlite');
